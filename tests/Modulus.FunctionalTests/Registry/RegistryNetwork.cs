using System.Numerics;
using Modulus.Cli;
using Modulus.Client.Keys;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// A whole local network for a test: a real Anvil with freshly deployed contracts, the registry
/// service on a free port, a key ring with funded development keys, and the CLI run in-process
/// against them exactly as a user runs it.
/// </summary>
internal sealed class RegistryNetwork : IAsyncDisposable
{
    private RegistryNetwork(AnvilNode anvil, RegistryDeployment deployment, string home, KeyRing keys, RegistryServer registry)
    {
        Anvil = anvil;
        Deployment = deployment;
        Home = home;
        Keys = keys;
        Registry = registry;
    }

    public AnvilNode Anvil { get; }

    public RegistryDeployment Deployment { get; }

    public string Home { get; }

    public KeyRing Keys { get; }

    public RegistryServer Registry { get; private set; }

    public string DeploymentPath => Path.Combine(Home, "deployment.json");

    public string DataDirectory => Path.Combine(Home, "registry");

    public static async Task<RegistryNetwork> StartAsync(int keys = 3)
    {
        var anvil = await AnvilNode.StartAsync(new AnvilOptions());
        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), anvil.RpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        var deployment = await RegistryDeployer.DeployAsync(web3, TimeSpan.FromSeconds(60));
        var contracts = new RegistryContracts(web3, deployment);
        var home = Path.Combine(Path.GetTempPath(), "modulus-tests", "net-" + Guid.NewGuid().ToString("n")[..10]);
        Directory.CreateDirectory(home);
        var ring = new KeyRing(Path.Combine(home, "keys"));
        for (var i = 0; i < keys; i++)
        {
            var key = AnvilNode.DevPrivateKeys[i];
            await contracts.MintAsync(new Nethereum.Signer.EthECKey(key).GetPublicAddress(), 10_000 * BigInteger.Pow(10, 18));
            ring.ImportPrivateKey($"dev{i}", key, "dev");
        }

        DeploymentFile.Write(Path.Combine(home, "deployment.json"), deployment, anvil.RpcUrl);
        var registry = await StartRegistryAsync(anvil.RpcUrl, deployment, Path.Combine(home, "registry"));
        return new RegistryNetwork(anvil, deployment, home, ring, registry);
    }

    public static async Task<RegistryServer> StartRegistryAsync(string rpcUrl, RegistryDeployment deployment, string dataDirectory)
    {
        var server = RegistryServer.Create(new RegistryServiceOptions
        {
            Port = 0,
            RpcUrl = rpcUrl,
            Deployment = deployment,
            DataDirectory = dataDirectory,
            PollInterval = TimeSpan.FromMilliseconds(100),
        });
        await server.StartAsync();
        return server;
    }

    /// <summary>Runs <c>modulus ARGS</c> against this network; the chain and registry options are added for it.</summary>
    public async Task<CliRun> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] chain = ["--deployment", DeploymentPath];
        string[] registry = ["--registry", Registry.Address!];
        var withOptions = args[0] switch
        {
            "publish" or "install" => [.. args, .. chain, .. registry],
            "stake" or "unstake" or "withdraw" or "vote" => [.. args, .. chain],
            "search" => [.. args, .. registry],
            _ => args,
        };
        var exit = await ModulusCli.RunAsync(withOptions, stdout, stderr, Keys);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Waits until the registry service has indexed the chain's head.</summary>
    public async Task CaughtUpAsync()
    {
        var web3 = new Web3(Anvil.RpcUrl);
        var head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync()).Value;
        using var client = new RegistryClient(Registry.Address!);
        var status = await Eventually.WaitForAsync(() => client.GetStatusAsync(), s => s.IndexedBlock >= head);
        Assert.True(status.IndexedBlock >= head, $"the registry service indexed up to block {status.IndexedBlock}, not the head {head}, within 30 s");
    }

    public async Task RestartRegistryAsync()
    {
        await Registry.DisposeAsync();
        Registry = await StartRegistryAsync(Anvil.RpcUrl, Deployment, DataDirectory);
    }

    /// <summary>Serves this network's registry from <paramref name="server"/>, started by the caller (e.g. with its own logging); the current one must already be disposed.</summary>
    public void ReplaceRegistry(RegistryServer server) => Registry = server;

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        await Anvil.DisposeAsync();
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>What a CLI run printed and returned.</summary>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}
