using System.Diagnostics;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Runtime.Tests;

/// <summary>Python modules in the real embedded interpreter (Debian's CPython and numpy).</summary>
public class PythonModuleTests
{
    private const string Stats = """
        from typing import Optional
        import modulus

        class Stats(modulus.Module):
            def setup(self):
                self.greeting = "hello from " + self.name

            def forward(self, values: list[float], label: str = "sum") -> dict:
                return {"label": label, "total": sum(values), "count": len(values)}

            @modulus.endpoint(idempotent=True)
            def greet(self) -> str:
                return self.greeting

            @modulus.endpoint(name="echo_all")
            def echo(self, value, maybe: Optional[int] = None):
                return [value, maybe]

            @modulus.endpoint
            def explode(self, n: int) -> int:
                return helper(n)

            @modulus.endpoint
            def refuse(self, n: int) -> int:
                raise modulus.InvalidArgument(f"n must be even, not {n}")

            @modulus.endpoint
            def spin(self, seconds: float) -> str:
                import time
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    pass
                return "finished"

        def helper(n):
            return 10 // n
        """;

    [Fact]
    public async Task Call_ConvertsValuesBothWays()
    {
        using var tree = new TempTree();
        tree.AddPython("py/stats", Stats);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var result = (await runtime.CallAsync("py.stats", Value.List(1, 2.5))).AsMap();
        Assert.Equal("sum", result["label"].AsString());
        Assert.Equal(3.5, result["total"].AsFloat());
        Assert.Equal(2, result["count"].AsInt());
        Assert.Equal("hello from py.stats", (await runtime.CallAsync("py.stats/greet")).AsString());

        var nested = Value.Map([new("b", Value.FromBytes(new byte[] { 0, 255 })), new("l", Value.List(true, Value.Null, "x"))]);
        var echoed = (await runtime.CallAsync("py.stats/echo_all", [nested], new() { ["maybe"] = 7 })).AsList();
        Assert.Equal(nested, echoed[0]);
        Assert.Equal(7, echoed[1].AsInt());
    }

    [Fact]
    public async Task Info_SchemaComesFromTypeHints()
    {
        using var tree = new TempTree();
        tree.AddPython("py/stats", Stats);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var signatures = runtime.Catalog.Find("py.stats")!.Endpoints.ToDictionary(e => e.Name, e => e.Signature);
        Assert.Equal("forward(values: list[float], label: string = \"sum\") -> map", signatures["forward"]);
        Assert.Equal("echo_all(value: any, maybe: int? = null) -> any", signatures["echo_all"]);
        Assert.Equal("python", runtime.Catalog.Find("py.stats")!.Language);
        Assert.Equal(["greet"], runtime.Catalog.Find("py.stats")!.Endpoints.Where(e => e.Idempotent).Select(e => e.Name));
    }

    [Fact]
    public async Task Call_PythonException_IsInternalWithTracebackTail_AndTheHostKeepsServing()
    {
        using var tree = new TempTree();
        var path = tree.AddPython("py/stats", Stats);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var ex = await runtime.FailAsync("py.stats/explode", 0);
        Assert.Equal(StatusCode.Internal, ex.Code);
        Assert.Contains("ZeroDivisionError", ex.Message);
        Assert.Contains($"File \"{path}\", line 36, in helper", ex.Message);
        Assert.Equal(5, (await runtime.CallAsync("py.stats/explode", 2)).AsInt());
    }

    [Fact]
    public async Task Call_ModulusErrorRaisedInPython_KeepsItsCode()
    {
        using var tree = new TempTree();
        tree.AddPython("py/stats", Stats);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var ex = await runtime.FailAsync("py.stats/refuse", 3);
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Equal("n must be even, not 3", ex.Message);
    }

    [Fact]
    public async Task Call_PythonPastItsTimeout_IsInterrupted_AndTheNextCallIsClean()
    {
        using var tree = new TempTree();
        tree.AddPython("py/stats", Stats, """, "limits": { "timeout_ms": 300 }""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var stopwatch = Stopwatch.StartNew();
        var ex = await runtime.FailAsync("py.stats/spin", 20.0);
        Assert.Equal(StatusCode.DeadlineExceeded, ex.Code);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), "the Python call was not interrupted at its deadline");
        Assert.Equal("finished", (await runtime.CallAsync("py.stats/spin", 0.01)).AsString());
        Assert.Equal(3, (await runtime.CallAsync("py.stats", Value.List(1, 2))).AsMap()["total"].AsFloat());
    }

    [Fact]
    public async Task Call_NumpyTensorsInAndOut()
    {
        using var tree = new TempTree();
        tree.AddPython("np", """
            import numpy as np
            import modulus

            class Np(modulus.Module):
                def forward(self, x: np.ndarray) -> np.ndarray:
                    return (x * 2).astype(np.int32)

                @modulus.endpoint
                def total(self, x: np.ndarray) -> float:
                    return x.sum()
            """);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var doubled = (await runtime.CallAsync("np", Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3))).AsTensor();
        Assert.Equal(DType.INT32, doubled.DType);
        Assert.Equal([2L, 3L], doubled.Shape);
        Assert.Equal(new[] { 2, 4, 6, 8, 10, 12 }, doubled.ToArray<int>());
        Assert.Equal(10.0, (await runtime.CallAsync("np/total", Tensor.FromArray(new float[] { 1, 2, 3, 4 }))).AsFloat());
    }

    [Theory]
    [InlineData("import modulus\nclass P(modulus.Module):\n    def forward(self) -> str\n        return 'x'\n", "SyntaxError")]
    [InlineData("import modulus\nimport not_a_real_package_xyz\n", "ModuleNotFoundError")]
    [InlineData("import modulus\nclass Plain:\n    pass\n", "defines no class deriving from modulus.Module")]
    [InlineData("import modulus\nclass P(modulus.Module):\n    def setup(self):\n        raise RuntimeError('weights missing')\n    def forward(self): pass\n", "weights missing")]
    public async Task Load_BrokenPythonModule_IsAFault_OthersServe(string source, string reason)
    {
        using var tree = new TempTree();
        tree.AddPython("good", Stats);
        var path = tree.AddPython("bad", source);
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var fault = Assert.Single(runtime.Catalog.Faults);
        Assert.Equal(path, fault.Path);
        Assert.Contains(reason, fault.Reason);
        Assert.Equal("hello from good", (await runtime.CallAsync("good/greet")).AsString());
    }

    [Fact]
    public async Task Load_DeclaredImportMissing_IsAFaultNamingItAndItsDebianPackage_BeforeAnyCodeRuns()
    {
        using var tree = new TempTree();
        tree.AddPython("good", Stats, """, "imports": ["json", "numpy"]""");
        var marker = Path.Combine(tree.Root, "ran.txt");
        tree.AddPython("needs", $"open({System.Text.Json.JsonSerializer.Serialize(marker)}, 'w').write('ran')\nimport modulus\nclass N(modulus.Module):\n    def forward(self) -> str:\n        return 'x'\n",
            """, "imports": ["numpy", "torch_that_is_not_installed", "yaml"]""");
        tree.AddPython("known", "import modulus\nclass K(modulus.Module):\n    def forward(self) -> str:\n        return 'x'\n", """, "imports": ["scipy.not_a_real_submodule_xyz"]""");
        await using var runtime = await RuntimeHarness.StartAsync(tree);

        var faults = runtime.Catalog.Faults.ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f.Path)!), f => f.Reason);
        Assert.Contains("imports \"torch_that_is_not_installed\", which this interpreter", faults["needs"]);
        Assert.False(File.Exists(marker), "a module whose imports are missing must not run");
        Assert.Contains("python3-scipy", faults["known"]);
        Assert.Equal("hello from good", (await runtime.CallAsync("good/greet")).AsString());
    }
}
