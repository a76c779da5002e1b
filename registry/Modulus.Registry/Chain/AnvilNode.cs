using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Modulus.Registry.Chain;

/// <summary>Where and how to start the development chain.</summary>
public sealed record AnvilOptions
{
    /// <summary>The anvil executable; found by <see cref="AnvilNode.Locate"/> when null.</summary>
    public string? Executable { get; init; }

    /// <summary>The RPC port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>A file to load the chain from and save it to, so it survives a restart; null keeps it in memory.</summary>
    public string? StateFile { get; init; }
}

/// <summary>
/// A real Anvil node (from the npm package @foundry-rs/anvil) on 127.0.0.1, stopped when disposed.
/// Its accounts are Anvil's well-known development accounts, each funded with 10,000 ETH.
/// </summary>
public sealed class AnvilNode : IAsyncDisposable
{
    /// <summary>The private keys of Anvil's first development accounts (its default mnemonic): for development chains only.</summary>
    public static IReadOnlyList<string> DevPrivateKeys { get; } =
    [
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    ];

    private readonly Process _process;

    private AnvilNode(Process process, string rpcUrl)
    {
        _process = process;
        RpcUrl = rpcUrl;
    }

    /// <summary>The JSON-RPC endpoint, e.g. http://127.0.0.1:8545.</summary>
    public string RpcUrl { get; }

    /// <summary>Starts a node and waits until it answers.</summary>
    /// <exception cref="InvalidOperationException">No anvil executable, or it did not start; the message says why.</exception>
    public static async Task<AnvilNode> StartAsync(AnvilOptions options, CancellationToken cancellationToken = default)
    {
        var executable = options.Executable ?? Locate()
            ?? throw new InvalidOperationException("anvil is not installed; run `make deps` (it installs @foundry-rs/anvil into registry/contracts) or set MODULUS_ANVIL");
        var port = options.Port == 0 ? FreePort() : options.Port;
        var arguments = new List<string> { "--host", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent" };
        if (options.StateFile is { } state)
        {
            arguments.AddRange(["--state", state]);
        }

        var process = Process.Start(new ProcessStartInfo(executable, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{executable} did not start");
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (errors) { errors.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();

        var node = new AnvilNode(process, $"http://127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                string reason;
                lock (errors)
                {
                    reason = errors.ToString().Trim();
                }

                throw new InvalidOperationException($"anvil exited at start (code {process.ExitCode}): {reason}");
            }

            try
            {
                using var content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json");
                using var response = await http.PostAsync(node.RpcUrl, content, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return node;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await node.DisposeAsync().ConfigureAwait(false);
        throw new InvalidOperationException($"anvil did not answer on {node.RpcUrl} within 30 s");
    }

    /// <summary>
    /// $MODULUS_ANVIL, else the native anvil binary the npm package installed under registry/contracts
    /// (above the app or the working folder), else null. The native binary, not the npm wrapper
    /// script: the wrapper is a node process that spawns anvil, so stopping it would orphan the node.
    /// </summary>
    public static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("MODULUS_ANVIL") is { Length: > 0 } configured)
        {
            return configured;
        }

        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var packages = Path.Combine(directory.FullName, "registry", "contracts", "node_modules", "@foundry-rs");
                if (!Directory.Exists(packages))
                {
                    continue;
                }

                // The platform package: anvil-linux-amd64, anvil-darwin-arm64, ...
                var native = Directory.GetDirectories(packages, "anvil-*")
                    .Select(platform => Path.Combine(platform, "bin", "anvil"))
                    .FirstOrDefault(File.Exists);
                if (native is not null)
                {
                    return native;
                }
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: anvil writes its --state file on a clean exit.
            _process.Kill(entireProcessTree: false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
