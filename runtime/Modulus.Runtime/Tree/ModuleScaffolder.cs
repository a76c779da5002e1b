using System.Globalization;
using Modulus.Modules;

namespace Modulus.Runtime.Tree;

/// <summary>Writes a new module folder that serves as it is: a manifest and a source file.</summary>
public static class ModuleScaffolder
{
    /// <summary>Creates <c>TREE/&lt;name as path&gt;/</c> with <c>module.json</c> and a module class.</summary>
    /// <returns>The folder created.</returns>
    /// <exception cref="ArgumentException">The name or language is invalid, or the folder already exists.</exception>
    public static string Create(string treeRoot, string name, string language)
    {
        if (!ModuleName.TryParse(name, out _, out var error))
        {
            throw new ArgumentException(error);
        }

        // Code to start from exists for the languages with code; a gguf module is a model file and a manifest naming it.
        if (language is not (ModuleLanguages.CSharp or ModuleLanguages.Python))
        {
            throw new ArgumentException($"language \"{language}\" is not supported; use {ModuleLanguages.CSharp} or {ModuleLanguages.Python} (a gguf module needs no code: write a module.json with \"language\": \"gguf\" and \"model\" beside the GGUF file)");
        }

        var directory = Path.Combine(Path.GetFullPath(treeRoot), Path.Combine(name.Split('.')));
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new ArgumentException($"{directory} already exists and is not empty; pick another name or remove it");
        }

        Directory.CreateDirectory(directory);
        var className = ClassName(name);
        var entry = language == "python" ? "module.py" : $"{className}.cs";
        File.WriteAllText(Path.Combine(directory, ModuleManifest.FileName), $$"""
            {
              "name": "{{name}}",
              "version": "0.1.0",
              "language": "{{language}}",
              "entry": "{{entry}}",
              "description": "{{className}}: echoes text and counts its words.",
              "tags": ["example"],
              "limits": { "timeout_ms": 10000 }
            }

            """);
        File.WriteAllText(Path.Combine(directory, entry), language == "python" ? PythonSource(className) : CSharpSource(className));
        return directory;
    }

    private static string CSharpSource(string className) => $$"""
        namespace Modules;

        /// <summary>A new Modulus module: edit it while `modulus serve` runs and the next call uses the new code.</summary>
        public sealed class {{className}} : Module
        {
            /// <summary>The forward pass: here, the text itself.</summary>
            public string Forward(string text) => text;

            /// <summary>A second endpoint, called as MODULE/word_count.</summary>
            [Endpoint(Description = "Counts the words of a text.")]
            public int WordCount(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        }

        """;

    private static string PythonSource(string className) => $$""""
        import modulus


        class {{className}}(modulus.Module):
            """A new Modulus module: edit it while `modulus serve` runs and the next call uses the new code."""

            def forward(self, text: str) -> str:
                """The forward pass: here, the text itself."""
                return text

            @modulus.endpoint(description="Counts the words of a text.")
            def word_count(self, text: str) -> int:
                return len(text.split())

        """";

    /// <summary>A class name from a module name: <c>text.word-count</c> gives <c>TextWordCountModule</c>; a leading digit gets an M.</summary>
    private static string ClassName(string name)
    {
        var joined = string.Concat(name.Split('.', '_', '-').Where(p => p.Length > 0).Select(p => char.ToUpper(p[0], CultureInfo.InvariantCulture) + p[1..]));
        return (joined.Length == 0 || char.IsDigit(joined[0]) ? "M" + joined : joined) + "Module";
    }
}
