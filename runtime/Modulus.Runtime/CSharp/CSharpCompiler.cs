using System.Collections.Concurrent;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Modules;

namespace Modulus.Runtime.CSharp;

/// <summary>
/// Compiles a C# module's source files with Roslyn against the framework, the SDK and the
/// libraries the host ships. Metadata references are built once and shared by every compile.
/// </summary>
internal sealed class CSharpCompiler
{
    /// <summary>Usings every module gets, as an SDK-style project would give them.</summary>
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Modulus.Sdk;
        """;

    private readonly Lazy<IReadOnlyList<MetadataReference>> _baseReferences = new(CreateBaseReferences);
    private readonly ConcurrentDictionary<string, MetadataReference> _packageReferences = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A string that changes when anything but the sources would change the output.</summary>
    public static string ToolchainStamp { get; } =
        $"roslyn={typeof(CSharpCompilation).Assembly.GetName().Version};sdk={typeof(Module).Assembly.ManifestModule.ModuleVersionId};runtime={Environment.Version}";

    /// <summary>Compiles the module's <c>.cs</c> files into an assembly image.</summary>
    /// <param name="source">The module.</param>
    /// <param name="sourceFiles">Its source files, relative to its folder.</param>
    /// <param name="assemblyName">The name of the assembly to emit.</param>
    /// <param name="packageReferences">The compile-time assemblies of the module's restored packages (full paths).</param>
    /// <exception cref="ModuleLoadException">A compile error (file, line and message).</exception>
    public byte[] Compile(ModuleSource source, IReadOnlyList<string> sourceFiles, string assemblyName, IReadOnlyList<string>? packageReferences = null)
    {
        var parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(GlobalUsings, parseOptions, path: "GlobalUsings.g.cs") };
        foreach (var file in sourceFiles)
        {
            var path = Path.Combine(source.Directory, file);
            var bytes = File.ReadAllBytes(path);
            var text = SourceText.From(bytes, bytes.Length, Encoding.UTF8, canBeEmbedded: true);
            trees.Add(CSharpSyntaxTree.ParseText(text, parseOptions, path));
        }

        var references = new List<MetadataReference>(_baseReferences.Value);
        // The framework, the SDK and the module's own restored packages: nothing else the host happens to carry.
        references.AddRange((packageReferences ?? []).Select(p => _packageReferences.GetOrAdd(p, static path => MetadataReference.CreateFromFile(path))));

        var compilation = CSharpCompilation.Create(
            assemblyName,
            trees,
            references,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable,
                concurrentBuild: false,
                deterministic: true));

        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        if (!result.Success)
        {
            var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var first = errors[0];
            var span = first.Location.GetLineSpan();
            var file = span.Path is { Length: > 0 } p ? p : source.ManifestPath;
            var more = errors.Count > 1 ? $" (and {errors.Count - 1} more error{(errors.Count > 2 ? "s" : string.Empty)})" : string.Empty;
            throw new ModuleLoadException(new ModuleFault(
                $"{file}:{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}",
                $"compile error {first.Id}: {first.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}{more}"));
        }

        return image.ToArray();
    }

    private static IReadOnlyList<MetadataReference> CreateBaseReferences()
    {
        // The framework's own assemblies (not the host's other dependencies) plus the SDK.
        var frameworkDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var trusted = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => string.Equals(Path.GetDirectoryName(p), frameworkDirectory, StringComparison.Ordinal));
        var references = trusted.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        references.Add(MetadataReference.CreateFromFile(typeof(Module).Assembly.Location));
        return references;
    }
}
