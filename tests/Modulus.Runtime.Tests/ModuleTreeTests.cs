using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

public class ModuleTreeTests
{
    private static string Answer(string text) => $"public sealed class A : Module {{ public string Forward() => \"{text}\"; }}";

    [Fact]
    public async Task Reload_EditedSource_ServesTheNewCode()
    {
        using var tree = new TempTree();
        var source = tree.AddCSharp("a", Answer("one"));
        var pySource = tree.AddPython("p", "import modulus\nclass P(modulus.Module):\n    def forward(self) -> str:\n        return 'one'\n");
        await using var runtime = await RuntimeHarness.StartAsync(tree);
        Assert.Equal("one", (await runtime.CallAsync("a")).AsString());
        Assert.Equal("one", (await runtime.CallAsync("p")).AsString());

        File.WriteAllText(source, Answer("two"));
        File.WriteAllText(pySource, "import modulus\nclass P(modulus.Module):\n    def forward(self) -> str:\n        return 'two'\n");
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        Assert.Equal("two", (await runtime.CallAsync("a")).AsString());
        Assert.Equal("two", (await runtime.CallAsync("p")).AsString());
    }

    [Fact]
    public async Task Reload_OnlyTheEditedModuleIsReloaded()
    {
        using var tree = new TempTree();
        var source = tree.AddCSharp("a", Answer("one"));
        tree.AddCSharp("b", Answer("b"));
        tree.AddPython("p", "import modulus\nclass P(modulus.Module):\n    def forward(self) -> str:\n        return 'p'\n");
        await using var runtime = await RuntimeHarness.StartAsync(tree);
        await runtime.CallAsync("p");

        File.WriteAllText(source, Answer("two"));
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        var reloaded = runtime.Logs.Entries.Where(e => e.EventName == "ModuleReloaded").Select(e => e.Message).ToList();
        Assert.Equal("Reloaded a 1.0.0", Assert.Single(reloaded));
        Assert.Equal("b", (await runtime.CallAsync("b")).AsString());
    }

    [Fact]
    public async Task Reload_CallInFlight_FinishesOnTheOldCode()
    {
        using var tree = new TempTree();
        const string Slow = "public sealed class S : Module {{ public async Task<string> Forward(int ms) {{ await Task.Delay(ms); return \"{0}\"; }} }}";
        var source = tree.AddCSharp("s", string.Format(Slow, "old"));
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var inFlight = runtime.CallAsync("s", 1500).AsTask();
        File.WriteAllText(source, string.Format(Slow, "new"));
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        Assert.Equal("new", (await runtime.CallAsync("s", 1)).AsString());
        Assert.Equal("old", (await inFlight).AsString());
    }

    [Fact]
    public async Task Reload_AddedAndRemovedModules_AreServedAndGone()
    {
        using var tree = new TempTree();
        tree.AddCSharp("a", Answer("a"));
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        tree.AddCSharp("b", Answer("b"));
        Directory.Delete(Path.Combine(tree.Root, "a"), recursive: true);
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        Assert.Equal(["b"], runtime.Catalog.Modules.Select(m => m.Name));
        Assert.Equal(StatusCode.NotFound, (await runtime.FailAsync("a")).Code);
        Assert.Equal("b", (await runtime.CallAsync("b")).AsString());
    }

    [Fact]
    public async Task Reload_BrokenEdit_KeepsThePreviousVersionServing()
    {
        using var tree = new TempTree();
        var source = tree.AddCSharp("a", Answer("good"));
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        File.WriteAllText(source, "public sealed class A : Module { public string Forward() => ; }");
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        Assert.Equal("good", (await runtime.CallAsync("a")).AsString());
        Assert.Contains("previous version keeps serving", Assert.Single(runtime.Catalog.Faults).Reason);
    }

    [Fact]
    public async Task Load_TreeWithThreeBrokenModules_ServesTheGoodOnes_ReportsEachFailureOnce()
    {
        using var tree = new TempTree();
        tree.AddCSharp("good/cs", Answer("cs"));
        tree.AddPython("good/py", "import modulus\nclass P(modulus.Module):\n    def forward(self) -> str:\n        return 'py'\n");
        tree.AddCSharp("bad/cs", "public sealed class A : Module { public int Forward() => \"text\"; }");
        tree.AddPython("bad/py", "import modulus\nraise ValueError('broken on import')\n");
        tree.Write("bad/manifest/module.json", "{ \"version\": \"1.0.0\", \"language\": \"csharp\", ");
        await using var runtime = await RuntimeHarness.StartAsync(tree);
        await runtime.Catalog.ReloadAsync(CancellationToken.None);

        Assert.Equal(["good.cs", "good.py"], runtime.Catalog.Modules.Select(m => m.Name));
        Assert.Equal("cs", (await runtime.CallAsync("good.cs")).AsString());
        Assert.Equal("py", (await runtime.CallAsync("good.py")).AsString());
        Assert.Equal(3, runtime.Catalog.Faults.Count);
        Assert.Contains(runtime.Catalog.Faults, f => f.Path.Contains("bad/cs/Module.cs:1:58", StringComparison.Ordinal) && f.Reason.Contains("CS0029", StringComparison.Ordinal));
        Assert.Contains(runtime.Catalog.Faults, f => f.Path.EndsWith("bad/py/module.py", StringComparison.Ordinal) && f.Reason.Contains("ValueError: broken on import", StringComparison.Ordinal));
        Assert.Contains(runtime.Catalog.Faults, f => f.Path.EndsWith("bad/manifest/module.json", StringComparison.Ordinal) && f.Reason.Contains("not valid JSON", StringComparison.Ordinal));

        // Two scans, yet each failure was logged exactly once.
        var reports = runtime.Logs.Entries.Where(e => e.EventName == "ModuleFault").ToList();
        Assert.Equal(3, reports.Count);
    }
}
