using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>Edits under a running host, picked up by its file watcher: no restart, no reload call.</summary>
public class HotReloadTests
{
    [Fact]
    public async Task EditingSource_ChangesTheNextCallsResult_CSharpAndPython()
    {
        using var tree = new TempTree();
        var cs = tree.AddCSharp("greet/cs", "public sealed class G : Module { public string Forward(string n) => \"hello \" + n; }");
        var py = tree.AddPython("greet/py", "import modulus\nclass G(modulus.Module):\n    def forward(self, n: str) -> str:\n        return 'hello ' + n\n");
        await using var host = await TestHost.StartAsync(tree, watch: true);
        Assert.Equal("hello ada", (await host.Client.CallAsync("greet.cs", "ada")).AsString());
        Assert.Equal("hello ada", (await host.Client.CallAsync("greet.py", "ada")).AsString());

        File.WriteAllText(cs, "public sealed class G : Module { public string Forward(string n) => \"bonjour \" + n; }");
        File.WriteAllText(py, "import modulus\nclass G(modulus.Module):\n    def forward(self, n: str) -> str:\n        return 'hola ' + n\n");

        var csResult = await Eventually.WaitForAsync(async () => (await host.Client.CallAsync("greet.cs", "ada")).AsString(), r => r == "bonjour ada");
        var pyResult = await Eventually.WaitForAsync(async () => (await host.Client.CallAsync("greet.py", "ada")).AsString(), r => r == "hola ada");
        Assert.Equal("bonjour ada", csResult);
        Assert.Equal("hola ada", pyResult);
    }

    [Fact]
    public async Task AddingAndRemovingFolders_ChangesWhatIsServed()
    {
        using var tree = new TempTree();
        tree.AddCSharp("a", "public sealed class A : Module { public string Forward() => \"a\"; }");
        await using var host = await TestHost.StartAsync(tree, watch: true);

        tree.AddCSharp("b", "public sealed class B : Module { public string Forward() => \"b\"; }");
        Directory.Delete(Path.Combine(tree.Root, "a"), recursive: true);

        var names = await Eventually.WaitForAsync(
            async () => (await host.Client.ListAsync()).Modules.Select(m => m.Name).ToArray(),
            n => n.SequenceEqual(["b"]));
        Assert.Equal(["b"], names);
        Assert.Equal("b", (await host.Client.CallAsync("b")).AsString());
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<ModulusException>(() => host.Client.CallAsync("a"))).Code);
    }

    [Fact]
    public async Task BrokenTree_ServesTheGoodModules_ListsEachFailureWithFileAndReason()
    {
        using var tree = new TempTree();
        tree.AddCSharp("good", "public sealed class A : Module { public string Forward() => \"ok\"; }");
        tree.AddCSharp("bad/cs", "public sealed class A : Module { public string Forward() => 42; }");
        tree.AddPython("bad/py", "import modulus\nimport missing_dependency_xyz\n");
        tree.Write("bad/manifest/module.json", """{ "version": "1.0.0", "language": "fortran", "entry": "x.f" }""");
        await using var host = await TestHost.StartAsync(tree);

        var listing = await host.Client.ListAsync();
        Assert.Equal(["good"], listing.Modules.Select(m => m.Name));
        Assert.Equal("ok", (await host.Client.CallAsync("good")).AsString());
        Assert.Equal(3, listing.Faults.Count);
        Assert.Contains(listing.Faults, f => f.Path.Contains("bad/cs/Module.cs:1:", StringComparison.Ordinal) && f.Reason.Contains("CS0029", StringComparison.Ordinal));
        Assert.Contains(listing.Faults, f => f.Path.EndsWith("bad/py/module.py", StringComparison.Ordinal) && f.Reason.Contains("No module named 'missing_dependency_xyz'", StringComparison.Ordinal));
        Assert.Contains(listing.Faults, f => f.Path.EndsWith("bad/manifest/module.json", StringComparison.Ordinal) && f.Reason.Contains("\"fortran\" is not supported", StringComparison.Ordinal));
        Assert.Equal(3, host.Logs.Entries.Count(e => e.EventName == "ModuleFault"));
    }
}
