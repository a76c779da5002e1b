using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Modulus.Modules;

/// <summary>
/// Reads and validates <c>module.json</c>: the one reader the runtime, the registry and the CLI use,
/// whose rules <c>module.schema.json</c> states for editors. Every error names the field and says what to write.
/// </summary>
public static partial class ModuleManifestReader
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = 16 };

    private static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "$schema", "name", "version", "language", "entry", "description", "tags", "packages", "imports", "limits", "access", "isolation",
        "model", "context", "contexts", "threads",
    };

    /// <summary>The fields only a gguf module has.</summary>
    private static readonly string[] GgufFields = ["model", "context", "contexts", "threads"];

    /// <summary>What every GGUF file begins with.</summary>
    private static ReadOnlySpan<byte> GgufMagic => "GGUF"u8;

    private static readonly IReadOnlySet<string> LimitFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "timeout_ms", "max_concurrency", "max_queue", "max_request_bytes", "rate_per_caller", "memory_mb",
    };

    private static readonly IReadOnlySet<string> AccessFields = new HashSet<string>(StringComparer.Ordinal) { "mode", "allow", "min_stake", "price", "price_per_1k_tokens" };

    /// <summary>
    /// Reads the manifest of a module folder and checks that its entry file is there.
    /// </summary>
    /// <exception cref="ModuleManifestException">The manifest is missing, unreadable or invalid.</exception>
    public static ModuleManifest Read(string directory)
    {
        var path = Path.Combine(directory, ModuleManifest.FileName);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // The path names the folder already: every caller prints it before the message.
            throw new ModuleManifestException(path, "the file is missing; a module folder needs a module.json (`modulus new NAME` makes one)");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModuleManifestException(path, $"cannot be read: {ex.Message}");
        }

        var manifest = Parse(bytes, path);
        var entryPath = Path.GetFullPath(Path.Combine(directory, manifest.EntryFile));
        if (manifest.Model is not null)
        {
            CheckModelFile(path, directory, manifest.Model.File, entryPath);
        }
        else if (!File.Exists(entryPath))
        {
            throw new ModuleManifestException(path, $"entry file \"{manifest.EntryFile}\" does not exist in {directory}");
        }

        return manifest;
    }

    /// <summary>A gguf module's model must be there and be a GGUF file: its first four bytes say so, without reading the rest.</summary>
    private static void CheckModelFile(string path, string directory, string file, string fullPath)
    {
        Span<byte> magic = stackalloc byte[4];
        int read;
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
            read = stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ModuleManifestException(path, $"\"model\" file \"{file}\" does not exist in {directory}; put the GGUF file in the module folder, or name the one that is there");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModuleManifestException(path, $"\"model\" file \"{file}\" cannot be read: {ex.Message}");
        }

        if (read < magic.Length || !magic.SequenceEqual(GgufMagic))
        {
            throw new ModuleManifestException(path, $"\"model\" file \"{file}\" is not a GGUF file (it does not begin with the bytes \"GGUF\"); a gguf module serves a model in llama.cpp's GGUF format (llama.cpp's convert_hf_to_gguf.py makes one from other formats)");
        }
    }

    /// <summary>Parses manifest bytes (from a file or a package) without touching the file system.</summary>
    /// <param name="json">The manifest's bytes.</param>
    /// <param name="source">Where they come from, for errors.</param>
    /// <exception cref="ModuleManifestException">The manifest is invalid.</exception>
    public static ModuleManifest Parse(ReadOnlySpan<byte> json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), JsonOptions);
        }
        catch (JsonException ex)
        {
            throw new ModuleManifestException(source, $"not valid JSON (line {(ex.LineNumber ?? 0) + 1}): {ex.Message}");
        }

        using (document)
        {
            return Read(document.RootElement, new Context(source));
        }
    }

    private static ModuleManifest Read(JsonElement root, Context at)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("must be a JSON object like {\"name\": \"text.stats\", \"version\": \"1.0.0\", \"language\": \"python\", \"entry\": \"module.py\"}");
        }

        RejectUnknown(root, Fields, string.Empty, at);
        ModuleName? name = null;
        if (OptionalString(root, "name", at) is { } declared)
        {
            name = ModuleName.TryParse(declared, out var parsed, out var nameError) ? parsed : throw at.Error($"\"name\": {nameError}");
        }

        var versionText = OptionalString(root, "version", at) ?? throw at.Error("\"version\" is missing; add a semantic version such as \"version\": \"0.1.0\"");
        if (!ModuleVersion.TryParse(versionText, out var version, out var versionError))
        {
            throw at.Error($"\"version\": {versionError}");
        }

        var language = OptionalString(root, "language", at)
            ?? throw at.Error($"\"language\" is missing; use one of {Quoted(ModuleLanguages.All)}");
        if (!ModuleLanguages.All.Contains(language))
        {
            throw at.Error($"\"language\" \"{ModuleName.Printable(language)}\" is not supported; use one of {Quoted(ModuleLanguages.All)}");
        }

        var model = ReadModel(root, language, at);
        string normalized;
        string? entryClass;
        if (model is not null)
        {
            // A gguf module has no code: its model file stands where another module's entry does.
            (normalized, entryClass) = (model.File, null);
        }
        else
        {
            var entry = OptionalString(root, "entry", at) ?? throw at.Error(
                $"\"entry\" is missing; name the file that holds the module class, e.g. \"{(language == ModuleLanguages.Python ? "module.py" : "Module.cs")}\"");
            (var entryFile, entryClass) = SplitEntry(entry);
            normalized = PlainPath(entryFile, "entry", entry, "\"module.py\" or \"bin/Module.dll\"", at);
            var extensions = ModuleLanguages.EntryExtensions(language);
            if (!extensions.Contains(Path.GetExtension(entryFile), StringComparer.OrdinalIgnoreCase))
            {
                throw at.Error($"\"entry\" \"{ModuleName.Printable(entryFile)}\" is not a {string.Join(" or ", extensions)} file, as a {language} module needs");
            }
        }

        var packages = ReadPackages(root, language, at);
        var imports = StringList(root, "imports", at);
        if (imports.Count > 0 && language != ModuleLanguages.Python)
        {
            throw at.Error("\"imports\" lists Python modules to check before loading; it applies to python modules only (a C# module declares \"packages\")");
        }

        foreach (var import in imports)
        {
            if (!PythonModulePattern().IsMatch(import))
            {
                throw at.Error($"\"imports\" entry \"{ModuleName.Printable(import)}\" is not a Python module name such as \"numpy\" or \"scipy.signal\"");
            }
        }

        var isolation = OptionalString(root, "isolation", at) ?? ModuleIsolation.Process;
        if (!ModuleIsolation.All.Contains(isolation))
        {
            throw at.Error($"\"isolation\" \"{ModuleName.Printable(isolation)}\" is not known; use {Quoted(ModuleIsolation.All)} (\"process\", the default, runs the module in a worker process of its own)");
        }

        if (isolation == ModuleIsolation.InProcess && language == ModuleLanguages.Gguf)
        {
            throw at.Error("\"isolation\": \"inprocess\" is not available to gguf modules; llama.cpp's native code runs only in worker processes, so that a model's crash or its memory never reaches the host (remove \"isolation\")");
        }

        if (isolation == ModuleIsolation.InProcess && language != ModuleLanguages.CSharp)
        {
            throw at.Error("\"isolation\": \"inprocess\" applies to csharp modules only; a Python interpreter lives only in worker processes, so that one module's interpreter, GIL or crash never reaches the host");
        }

        return new ModuleManifest
        {
            Name = name,
            Version = version,
            Language = language,
            EntryFile = normalized,
            EntryClass = entryClass,
            Description = OptionalString(root, "description", at) ?? string.Empty,
            Tags = StringList(root, "tags", at),
            Packages = packages,
            Imports = imports,
            Limits = ReadLimits(root, at),
            Access = ReadAccess(root, at),
            Isolation = isolation,
            Model = model,
        };
    }

    /// <summary>A gguf module's <c>model</c>, <c>context</c>, <c>contexts</c> and <c>threads</c>; null for another language, which may have none of them.</summary>
    private static GgufModel? ReadModel(JsonElement root, string language, Context at)
    {
        if (language != ModuleLanguages.Gguf)
        {
            foreach (var field in GgufFields)
            {
                if (root.TryGetProperty(field, out _))
                {
                    throw at.Error($"\"{field}\" applies to gguf modules only (a {language} module names its code in \"entry\"); set \"language\": \"gguf\" to serve a GGUF model, or remove \"{field}\"");
                }
            }

            return null;
        }

        if (root.TryGetProperty("entry", out _))
        {
            throw at.Error("\"entry\" does not apply to gguf modules, which have no code of their own; name the GGUF file in \"model\" instead, e.g. \"model\": \"model.q8_0.gguf\"");
        }

        var model = OptionalString(root, "model", at)
            ?? throw at.Error("\"model\" is missing; a gguf module names its GGUF file in the module folder, e.g. \"model\": \"model.q8_0.gguf\"");
        var file = PlainPath(model, "model", model, "\"model.q8_0.gguf\" or \"weights/model.gguf\"", at);
        if (!string.Equals(Path.GetExtension(file), ".gguf", StringComparison.OrdinalIgnoreCase))
        {
            throw at.Error($"\"model\" \"{ModuleName.Printable(model)}\" is not a .gguf file; a gguf module serves a model in llama.cpp's GGUF format");
        }

        int? context = root.TryGetProperty("context", out _)
            ? BoundedInt(root, "context", 1, int.MaxValue, "the tokens of one generation, prompt and answer together; leave it out for the model's own context length", at)
            : null;
        var contexts = root.TryGetProperty("contexts", out _)
            ? BoundedInt(root, "contexts", 1, GgufModel.MaxContexts, "how many generations run at once, each in a llama.cpp context of its own", at)
            : GgufModel.DefaultContexts;
        var threads = root.TryGetProperty("threads", out _)
            ? BoundedInt(root, "threads", 1, GgufModel.MaxThreads, "the CPU threads of each generation", at)
            : GgufModel.DefaultThreads;
        return new GgufModel(file, context, contexts, threads);
    }

    /// <summary>A path inside the module folder, with '/' separators: no leading '/', no '.' or '..' or empty parts.</summary>
    private static string PlainPath(string path, string field, string written, string examples, Context at)
    {
        var normalized = path.Replace('\\', '/');
        if (normalized.Length == 0 || normalized.StartsWith('/') || normalized.Split('/').Any(p => p is ".." or "." or ""))
        {
            throw at.Error($"\"{field}\" \"{ModuleName.Printable(written)}\" must be a plain path inside the module folder, such as {examples}");
        }

        return normalized;
    }

    private static int BoundedInt(JsonElement parent, string property, int min, int max, string meaning, Context at)
    {
        var element = parent.GetProperty(property);
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value) || value < min || value > max)
        {
            var range = max == int.MaxValue ? $"a positive integer" : $"an integer from {min} to {max}";
            throw at.Error($"\"{property}\" must be {range} ({meaning}), not {element.GetRawText()}");
        }

        return value;
    }

    private static void RejectUnknown(JsonElement element, IReadOnlySet<string> known, string prefix, Context at)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (known.Contains(property.Name))
            {
                continue;
            }

            if (prefix.Length == 0 && property.Name == "references")
            {
                throw at.Error("\"references\" is no longer read: declare the NuGet packages the module needs in \"packages\", e.g. \"packages\": {\"Microsoft.ML.Tokenizers\": \"2.0.1\"}");
            }

            var guess = known.Where(k => !k.StartsWith('$')).MinBy(k => Distance(k, property.Name));
            var hint = guess is not null && Distance(guess, property.Name) <= 2 ? $"did you mean \"{prefix}{guess}\"? " : string.Empty;
            throw at.Error($"unknown field \"{prefix}{ModuleName.Printable(property.Name)}\"; {hint}the fields are {Quoted(known.Where(k => !k.StartsWith('$')).Select(k => prefix + k))}");
        }
    }

    private static IReadOnlyDictionary<string, string> ReadPackages(JsonElement root, string language, Context at)
    {
        if (!root.TryGetProperty("packages", out var element))
        {
            return new Dictionary<string, string>();
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("\"packages\" must be an object of NuGet package ids and exact versions, e.g. {\"Microsoft.ML.Tokenizers\": \"2.0.1\"}");
        }

        if (language != ModuleLanguages.CSharp)
        {
            throw at.Error("\"packages\" lists NuGet packages; it applies to csharp modules only (a Python module declares \"imports\")");
        }

        var packages = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var package in element.EnumerateObject())
        {
            if (!NuGetIdPattern().IsMatch(package.Name))
            {
                throw at.Error($"\"packages\": \"{ModuleName.Printable(package.Name)}\" is not a NuGet package id (letters, digits, '.', '_' and '-')");
            }

            if (package.Value.ValueKind != JsonValueKind.String || !NuGetVersionPattern().IsMatch(package.Value.GetString()!))
            {
                throw at.Error($"\"packages\": the version of \"{package.Name}\" must be an exact NuGet version such as \"2.0.1\", not {package.Value.GetRawText()} (ranges are not accepted: a published module must restore the same way everywhere)");
            }

            if (!packages.TryAdd(package.Name, package.Value.GetString()!))
            {
                throw at.Error($"\"packages\" names \"{package.Name}\" twice (ids are not case-sensitive)");
            }
        }

        return packages;
    }

    private static (string File, string? Class) SplitEntry(string entry)
    {
        var colon = entry.LastIndexOf(':');
        return colon > 0 ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
    }

    private static ModuleLimits ReadLimits(JsonElement root, Context at)
    {
        if (!root.TryGetProperty("limits", out var limits))
        {
            return ModuleLimits.Default;
        }

        if (limits.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("\"limits\" must be an object such as {\"timeout_ms\": 30000, \"max_concurrency\": 4}");
        }

        RejectUnknown(limits, LimitFields, "limits.", at);
        var d = ModuleLimits.Default;
        var rate = 0.0;
        if (limits.TryGetProperty("rate_per_caller", out var rateElement)
            && (rateElement.ValueKind != JsonValueKind.Number || !rateElement.TryGetDouble(out rate) || rate < 0 || !double.IsFinite(rate)))
        {
            throw at.Error($"limits.rate_per_caller must be a non-negative number of calls per second, not {rateElement.GetRawText()}");
        }

        return new ModuleLimits(
            TimeSpan.FromMilliseconds(PositiveInt(limits, "timeout_ms", (int)d.Timeout.TotalMilliseconds, allowZero: false, at)),
            PositiveInt(limits, "max_concurrency", d.MaxConcurrency, allowZero: true, at),
            PositiveInt(limits, "max_queue", d.MaxQueue, allowZero: true, at),
            PositiveInt(limits, "max_request_bytes", d.MaxRequestBytes, allowZero: false, at),
            rate,
            PositiveInt(limits, "memory_mb", d.MemoryMb, allowZero: true, at));
    }

    private static ModuleAccess ReadAccess(JsonElement root, Context at)
    {
        if (!root.TryGetProperty("access", out var access))
        {
            return ModuleAccess.Open;
        }

        if (access.ValueKind != JsonValueKind.Object)
        {
            throw at.Error("\"access\" must be an object such as {\"mode\": \"allow\", \"allow\": [\"0x…\"]}");
        }

        RejectUnknown(access, AccessFields, "access.", at);
        var mode = OptionalString(access, "mode", at) ?? "open";
        if (!ModuleAccess.Modes.Contains(mode))
        {
            throw at.Error($"access.mode \"{ModuleName.Printable(mode)}\" is not one of {Quoted(ModuleAccess.Modes)}");
        }

        var allow = StringList(access, "allow", at);
        foreach (var address in allow)
        {
            if (!AddressPattern().IsMatch(address))
            {
                throw at.Error($"access.allow entry \"{ModuleName.Printable(address)}\" is not an address (0x and 40 hex digits)");
            }
        }

        if (mode == "allow" && allow.Count == 0)
        {
            throw at.Error("access.mode \"allow\" needs a non-empty access.allow list of addresses");
        }

        var minStake = BigInteger.Zero;
        if (access.TryGetProperty("min_stake", out var stake))
        {
            var text = stake.ValueKind == JsonValueKind.String ? stake.GetString() : stake.GetRawText();
            if (!BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out minStake))
            {
                throw at.Error($"access.min_stake must be a whole number of $GPT base units, not {stake.GetRawText()}");
            }
        }

        var price = Price(access, "price", at);
        var perThousand = Price(access, "price_per_1k_tokens", at);
        if (mode == ModuleAccess.Paid)
        {
            if (price is null)
            {
                throw at.Error("access.mode \"paid\" needs access.price, the price of one call in $GPT as a string, e.g. \"price\": \"0.001\"");
            }

            if (price.Value.IsZero)
            {
                throw at.Error("access.price is 0; a paid module charges more than nothing (use access.mode \"open\" for a free one)");
            }
        }
        else if (price is not null || perThousand is not null)
        {
            throw at.Error($"access.{(price is not null ? "price" : "price_per_1k_tokens")} applies to access.mode \"paid\" only; set \"mode\": \"paid\" or remove it");
        }

        return new ModuleAccess(mode, allow.Select(a => a.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal), minStake)
        {
            Price = price ?? BigInteger.Zero,
            PricePer1kTokens = perThousand ?? BigInteger.Zero,
        };
    }

    private static BigInteger? Price(JsonElement access, string property, Context at)
    {
        if (!access.TryGetProperty(property, out var element))
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            throw at.Error($"access.{property} must be a string of $GPT such as \"0.001\", not {element.GetRawText()} (a JSON number would be read through floating point)");
        }

        var text = element.GetString()!;
        if (text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])))
        {
            throw at.Error($"access.{property} \"{ModuleName.Printable(text)}\" has spaces around it; write just the amount, e.g. \"0.001\"");
        }

        return GptAmount.TryParse(text, out var wei, out var error)
            ? wei
            : throw at.Error($"access.{property}: {error}");
    }

    private static int PositiveInt(JsonElement parent, string property, int fallback, bool allowZero, Context at)
    {
        if (!parent.TryGetProperty(property, out var element))
        {
            return fallback;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value) || value < 0 || (!allowZero && value == 0))
        {
            throw at.Error($"limits.{property} must be a {(allowZero ? "non-negative" : "positive")} integer, not {element.GetRawText()}");
        }

        return value;
    }

    private static string? OptionalString(JsonElement root, string property, Context at)
    {
        if (!root.TryGetProperty(property, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()
            : throw at.Error($"\"{property}\" must be a string, not {element.GetRawText()}");
    }

    private static IReadOnlyList<string> StringList(JsonElement root, string property, Context at)
    {
        if (!root.TryGetProperty(property, out var element))
        {
            return [];
        }

        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw at.Error($"\"{property}\" must be an array of strings");
        }

        return element.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }

    [GeneratedRegex(@"^0x[0-9a-fA-F]{40}$")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}$")]
    private static partial Regex NuGetIdPattern();

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+){1,3}(-[0-9A-Za-z\-.]+)?(\+[0-9A-Za-z\-.]+)?$")]
    private static partial Regex NuGetVersionPattern();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]
    private static partial Regex PythonModulePattern();

    private readonly record struct Context(string Source)
    {
        public ModuleManifestException Error(string message) => new(Source, message);
    }
}
