using Modulus.Modules;
using Modulus.Runtime.Tree;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

public class ModuleTreeScannerTests
{
    private const string Echo = "public sealed class E : Module { public string Forward(string s) => s; }";

    [Fact]
    public void Scan_NamesModulesByTheirPath()
    {
        using var tree = new TempTree();
        tree.AddCSharp("text/embed", Echo);
        tree.AddCSharp("a", Echo, """, "name": "custom.name" """);

        var scan = ModuleTreeScanner.Scan(tree.Root);

        Assert.Empty(scan.Faults);
        Assert.Equal(["custom.name", "text.embed"], scan.Modules.Select(m => m.Name).Order());
    }

    [Theory]
    [InlineData("""{ "version": "1.0.0", "language": "csharp", "entry": "Module.cs" """, "not valid JSON")]
    [InlineData("""{ "version": "1.0.0", "language": "rust", "entry": "Module.cs" }""", "\"language\" \"rust\" is not supported")]
    [InlineData("""{ "version": "1.0.0", "language": "csharp" }""", "\"entry\" is missing")]
    [InlineData("""{ "version": "1.0.0", "language": "csharp", "entry": "Missing.cs" }""", "entry file \"Missing.cs\" does not exist")]
    [InlineData("""{ "version": "one", "language": "csharp", "entry": "Module.cs" }""", "is not a semantic version")]
    [InlineData("""{ "version": "1.0.0", "language": "csharp", "entry": "Module.cs", "limits": { "timeout_ms": -1 } }""", "limits.timeout_ms must be a positive integer")]
    [InlineData("""{ "version": "1.0.0", "language": "csharp", "entry": "../x.cs" }""", "must be a plain path inside the module folder")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    public void Scan_BadManifest_IsAFaultWithFileAndReason(string manifest, string reason)
    {
        using var tree = new TempTree();
        tree.AddCSharp("good", Echo);
        tree.Write("bad/Module.cs", Echo);
        var manifestPath = tree.Write("bad/module.json", manifest);

        var scan = ModuleTreeScanner.Scan(tree.Root);

        Assert.Equal(["good"], scan.Modules.Select(m => m.Name));
        var fault = Assert.Single(scan.Faults);
        Assert.Equal(manifestPath, fault.Path);
        Assert.Contains(reason, fault.Reason);
    }

    [Fact]
    public void Scan_FolderPathThatIsNoModuleName_IsAFaultInTheSentenceEveryCommandUses()
    {
        using var tree = new TempTree();
        tree.AddCSharp("good", Echo);
        tree.AddCSharp("Text/Tokenize", Echo);

        var scan = ModuleTreeScanner.Scan(tree.Root);

        Assert.Equal(["good"], scan.Modules.Select(m => m.Name));
        var fault = Assert.Single(scan.Faults);
        Assert.False(ModuleName.TryParse("Text.Tokenize", out _, out var sentence));
        Assert.StartsWith(sentence, fault.Reason);
        Assert.Contains("set \"name\" in module.json", fault.Reason);
    }

    [Fact]
    public void Scan_DeclaredNameTheContractRefuses_IsAFault()
    {
        using var tree = new TempTree();
        tree.AddCSharp("m", Echo, """, "name": "Text.Tokenize" """);

        var fault = Assert.Single(ModuleTreeScanner.Scan(tree.Root).Faults);

        Assert.Contains("\"Text.Tokenize\" is not a module name: it has the upper-case letter 'T'", fault.Reason);
    }

    [Fact]
    public void Scan_SymbolicLinkInAModule_IsAFaultNamingIt()
    {
        using var tree = new TempTree();
        tree.AddCSharp("good", Echo);
        tree.AddCSharp("linked", Echo);
        var target = tree.Write("outside.txt", "secret");
        File.CreateSymbolicLink(Path.Combine(tree.Root, "linked", "data.txt"), target);

        var scan = ModuleTreeScanner.Scan(tree.Root);

        Assert.Equal(["good"], scan.Modules.Select(m => m.Name));
        Assert.Contains("is a symbolic link", Assert.Single(scan.Faults).Reason);
    }

    [Fact]
    public void Scan_DuplicateName_KeepsTheShallowerAndFaultsTheDeeper()
    {
        using var tree = new TempTree();
        tree.AddCSharp("a/x", Echo);
        tree.AddCSharp("b", Echo, """, "name": "a.x" """);

        var scan = ModuleTreeScanner.Scan(tree.Root);

        Assert.Equal(Path.Combine(tree.Root, "b"), Assert.Single(scan.Modules).Directory);
        var fault = Assert.Single(scan.Faults);
        Assert.Equal(Path.Combine(tree.Root, "a", "x", "module.json"), fault.Path);
        Assert.Contains($"already served by {Path.Combine(tree.Root, "b", "module.json")}", fault.Reason);
    }

    [Fact]
    public void Scan_MissingRoot_ThrowsSayingWhatToPass()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => ModuleTreeScanner.Scan("/nonexistent/modulus/tree"));
        Assert.Contains("module.json", ex.Message);
    }

    [Fact]
    public void Fingerprint_ChangesWhenAFileChanges()
    {
        using var tree = new TempTree();
        var source = tree.AddCSharp("m", Echo);
        var before = ModuleFiles.Fingerprint(Path.Combine(tree.Root, "m"));
        File.AppendAllText(source, "\n// edited\n");
        Assert.NotEqual(before, ModuleFiles.Fingerprint(Path.Combine(tree.Root, "m")));
    }

    [Fact]
    public void Scaffolder_RefusesBadNamesAndExistingFolders()
    {
        using var tree = new TempTree();
        Assert.False(ModuleName.TryParse("Bad Name", out _, out var sentence));
        Assert.Equal(sentence, Assert.Throws<ArgumentException>(() => ModuleScaffolder.Create(tree.Root, "Bad Name", "csharp")).Message);
        ModuleScaffolder.Create(tree.Root, "my-mod.v2", "csharp");
        Assert.Contains("not supported", Assert.Throws<ArgumentException>(() => ModuleScaffolder.Create(tree.Root, "ok", "cobol")).Message);
        ModuleScaffolder.Create(tree.Root, "my.mod", "python");
        Assert.Contains("already exists", Assert.Throws<ArgumentException>(() => ModuleScaffolder.Create(tree.Root, "my.mod", "python")).Message);
    }
}
