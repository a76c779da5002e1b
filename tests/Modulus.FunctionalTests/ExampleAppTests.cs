using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>
/// examples/HostInYourApp, an ASP.NET Core application of its own with AddModulus() on its host, run
/// as a process: its own endpoint answers beside Modulus's transports, all set from configuration.
/// </summary>
public sealed class ExampleAppTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task HostInYourApp_ServesItsOwnEndpointAndModules_FromConfiguration()
    {
        _tree.AddCSharp("util/echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        var configuration = BaseDirectoryConfiguration();
        var dll = Path.Combine(RepositoryPaths.Root, "examples", "HostInYourApp", "bin", configuration, "net10.0", "HostInYourApp.dll");
        Assert.True(File.Exists(dll), $"{dll} is not built; build the solution first");
        var (app, grpc, tcp) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo("dotnet", [dll, $"--App:Port={app}", $"--Modulus:GrpcPort={grpc}", $"--Modulus:TcpPort={tcp}",
            $"--Modulus:Runtime:TreeRoot={_tree.Root}", "--Modulus:Runtime:Watch=false", $"--Modulus:Runtime:CacheDirectory={_tree.CacheDirectory}"])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{app}") };
            string? page = null;
            for (var attempt = 0; attempt < 150 && page is null && !process.HasExited; attempt++)
            {
                try
                {
                    page = await http.GetStringAsync("/");
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
            }

            Assert.True(page is not null, $"the example did not answer on its own port:\n{output}");
            Assert.Contains("also serves Modulus modules", page);
            // The app answers at once; its modules join the catalog as their workers become ready.
            var modules = await Eventually.WaitForAsync(() => http.GetStringAsync("/modules"), m => m.Contains("util.echo", StringComparison.Ordinal));
            Assert.Contains("util.echo", modules);
            foreach (var address in new[] { $"tcp://127.0.0.1:{tcp}", $"grpc://127.0.0.1:{grpc}" })
            {
                await using var client = ModulusClient.Connect(address);
                Assert.Equal("through the app", (await client.CallAsync("util.echo", "through the app")).AsString());
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Release or Debug, as this test assembly was built.</summary>
    private static string BaseDirectoryConfiguration() =>
        AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).Contains("Debug") ? "Debug" : "Release";
}
