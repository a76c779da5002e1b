using System.Text.Json;
using System.Text.RegularExpressions;

namespace Modulus.Runtime.Tree;

/// <summary>Reads and validates <c>module.json</c> files.</summary>
internal static partial class ManifestReader
{
    public const string FileName = "module.json";

    public static readonly IReadOnlySet<string> Languages = new HashSet<string>(StringComparer.Ordinal) { "csharp", "python" };

    /// <summary>Reads the manifest in <paramref name="directory"/>; <paramref name="defaultName"/> is the name its path gives.</summary>
    public static ModuleManifest Read(string directory, string defaultName)
    {
        var path = Path.Combine(directory, FileName);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ManifestException($"not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ManifestException("must be a JSON object like {\"version\": \"1.0.0\", \"language\": \"python\", \"entry\": \"module.py\"}");
            }

            var name = OptionalString(root, "name") ?? defaultName;
            if (!NamePattern().IsMatch(name))
            {
                throw new ManifestException($"name \"{name}\" is not a dotted module name (letters, digits, '_' and '-' in parts separated by '.', e.g. \"text.tokenize\")");
            }

            var version = OptionalString(root, "version") ?? throw new ManifestException("\"version\" is missing; add a semver version such as \"0.1.0\"");
            if (!SemverPattern().IsMatch(version))
            {
                throw new ManifestException($"version \"{version}\" is not semver (MAJOR.MINOR.PATCH, e.g. \"1.0.0\")");
            }

            var language = OptionalString(root, "language") ?? throw new ManifestException("\"language\" is missing; use \"csharp\" or \"python\"");
            if (!Languages.Contains(language))
            {
                throw new ManifestException($"language \"{language}\" is not supported; use \"csharp\" or \"python\"");
            }

            var entry = OptionalString(root, "entry") ?? throw new ManifestException(
                $"\"entry\" is missing; name the file that holds the module class, e.g. \"{(language == "python" ? "module.py" : "Module.cs")}\"");
            var (entryFile, entryClass) = SplitEntry(entry);
            var entryPath = Path.GetFullPath(Path.Combine(directory, entryFile));
            if (!entryPath.StartsWith(Path.GetFullPath(directory), StringComparison.Ordinal))
            {
                throw new ManifestException($"entry \"{entry}\" points outside the module folder");
            }

            if (!File.Exists(entryPath))
            {
                throw new ManifestException($"entry file \"{entryFile}\" does not exist in {directory}");
            }

            var expected = language == "python" ? new[] { ".py" } : [".cs", ".dll"];
            if (!expected.Contains(Path.GetExtension(entryFile), StringComparer.OrdinalIgnoreCase))
            {
                throw new ManifestException($"entry \"{entryFile}\" is not a {string.Join(" or ", expected)} file, as a {language} module needs");
            }

            return new ModuleManifest
            {
                Name = name,
                Version = version,
                Language = language,
                EntryFile = entryFile,
                EntryClass = entryClass,
                Description = OptionalString(root, "description") ?? string.Empty,
                Tags = StringList(root, "tags"),
                References = StringList(root, "references"),
                Packages = ReadPackages(root),
                Limits = ReadLimits(root),
                Access = ReadAccess(root),
            };
        }
    }

    private static (string File, string? Class) SplitEntry(string entry)
    {
        var colon = entry.LastIndexOf(':');
        return colon > 0 ? (entry[..colon], entry[(colon + 1)..]) : (entry, null);
    }

    private static ModuleLimits ReadLimits(JsonElement root)
    {
        if (!root.TryGetProperty("limits", out var limits))
        {
            return ModuleLimits.Default;
        }

        if (limits.ValueKind != JsonValueKind.Object)
        {
            throw new ManifestException("\"limits\" must be an object such as {\"timeout_ms\": 30000, \"max_concurrency\": 4}");
        }

        var d = ModuleLimits.Default;
        var rate = 0.0;
        if (limits.TryGetProperty("rate_per_caller", out var rateElement)
            && (rateElement.ValueKind != JsonValueKind.Number || !rateElement.TryGetDouble(out rate) || rate < 0 || !double.IsFinite(rate)))
        {
            throw new ManifestException($"limits.rate_per_caller must be a non-negative number of calls per second, not {rateElement.GetRawText()}");
        }

        return new ModuleLimits(
            TimeSpan.FromMilliseconds(PositiveInt(limits, "timeout_ms", (int)d.Timeout.TotalMilliseconds, allowZero: false)),
            PositiveInt(limits, "max_concurrency", d.MaxConcurrency, allowZero: true),
            PositiveInt(limits, "max_queue", d.MaxQueue, allowZero: true),
            PositiveInt(limits, "max_request_bytes", d.MaxRequestBytes, allowZero: false),
            rate);
    }

    private static ModuleAccess ReadAccess(JsonElement root)
    {
        if (!root.TryGetProperty("access", out var access))
        {
            return ModuleAccess.Open;
        }

        if (access.ValueKind != JsonValueKind.Object)
        {
            throw new ManifestException("\"access\" must be an object such as {\"mode\": \"allow\", \"allow\": [\"0x…\"]}");
        }

        var mode = OptionalString(access, "mode") ?? "open";
        if (!ModuleAccess.Modes.Contains(mode))
        {
            throw new ManifestException($"access.mode \"{mode}\" is not one of {string.Join(", ", ModuleAccess.Modes)}");
        }

        var allow = StringList(access, "allow");
        foreach (var address in allow)
        {
            if (!AddressPattern().IsMatch(address))
            {
                throw new ManifestException($"access.allow entry \"{address}\" is not an address (0x and 40 hex digits)");
            }
        }

        if (mode == "allow" && allow.Count == 0)
        {
            throw new ManifestException("access.mode \"allow\" needs a non-empty access.allow list of addresses");
        }

        var minStake = System.Numerics.BigInteger.Zero;
        if (access.TryGetProperty("min_stake", out var stake))
        {
            var text = stake.ValueKind == JsonValueKind.String ? stake.GetString() : stake.GetRawText();
            if (!System.Numerics.BigInteger.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out minStake))
            {
                throw new ManifestException($"access.min_stake must be a whole number of $GPT base units, not {stake.GetRawText()}");
            }
        }

        return new ModuleAccess(mode, allow.Select(a => a.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal), minStake);
    }

    private static int PositiveInt(JsonElement parent, string property, int fallback, bool allowZero)
    {
        if (!parent.TryGetProperty(property, out var element))
        {
            return fallback;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value) || value < 0 || (!allowZero && value == 0))
        {
            throw new ManifestException($"limits.{property} must be a {(allowZero ? "non-negative" : "positive")} integer, not {element.GetRawText()}");
        }

        return value;
    }

    private static string? OptionalString(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind == JsonValueKind.String
            ? element.GetString()
            : throw new ManifestException($"\"{property}\" must be a string, not {element.GetRawText()}");
    }

    private static Dictionary<string, string> ReadPackages(JsonElement root)
    {
        var packages = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!root.TryGetProperty("packages", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return packages;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ManifestException("\"packages\" must be an object of NuGet package ids and exact versions, e.g. {\"Microsoft.ML.Tokenizers\": \"2.0.1\"}");
        }

        foreach (var package in element.EnumerateObject())
        {
            if (!NuGet.Packaging.PackageIdValidator.IsValidPackageId(package.Name))
            {
                throw new ManifestException($"\"packages\": \"{package.Name}\" is not a NuGet package id");
            }

            if (package.Value.ValueKind != JsonValueKind.String || !NuGet.Versioning.NuGetVersion.TryParse(package.Value.GetString(), out _))
            {
                throw new ManifestException($"\"packages\": the version of \"{package.Name}\" must be an exact NuGet version such as \"2.0.1\", not {package.Value.GetRawText()}");
            }

            if (!packages.TryAdd(package.Name, package.Value.GetString()!))
            {
                throw new ManifestException($"\"packages\" names \"{package.Name}\" twice (package ids are not case-sensitive)");
            }
        }

        return packages;
    }

    private static IReadOnlyList<string> StringList(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var element))
        {
            return [];
        }

        if (element.ValueKind != JsonValueKind.Array || element.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new ManifestException($"\"{property}\" must be an array of strings");
        }

        return element.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    [GeneratedRegex(@"^0x[0-9a-fA-F]{40}$")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z\-.]+)?(\+[0-9A-Za-z\-.]+)?$")]
    private static partial Regex SemverPattern();
}

/// <summary>A manifest is wrong; the message says how.</summary>
internal sealed class ManifestException(string message) : Exception(message);
