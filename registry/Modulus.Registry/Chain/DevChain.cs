using System.Diagnostics;
using System.Numerics;
using System.Text;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Registry.Chain;

/// <summary>How <c>modulus chain up</c> starts the development chain.</summary>
public sealed record DevChainOptions
{
    /// <summary>Holds the chain's state file, its log, its pid and the deployment file.</summary>
    public string Directory { get; init; } = Path.Combine(Protocol.ModulusHome.Path, "chain");

    /// <summary>The RPC port on 127.0.0.1.</summary>
    public int Port { get; init; } = 8545;

    /// <summary>How long an unstake waits before withdrawal. Short on the development chain, so it can be tried.</summary>
    public TimeSpan UnstakeCooldown { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a payer's withdrawal from the call escrow, and a signer's revocation, wait: one day.</summary>
    public TimeSpan EscrowThaw { get; init; } = RegistryDeployer.DefaultEscrowThaw;

    /// <summary>$GPT minted to each development account at deployment.</summary>
    public BigInteger GrantPerAccount { get; init; } = 1_000_000 * BigInteger.Pow(10, 18);

    public string? AnvilExecutable { get; init; }
}

/// <summary>What <c>chain up</c> found or made.</summary>
public sealed record DevChainStatus(string RpcUrl, RegistryDeployment Deployment, int Pid, bool Started, bool Deployed, string StateFile);

/// <summary>
/// The development chain as a background process that outlives the command that started it:
/// Anvil on 127.0.0.1 with its state in a file (written when it stops and every few seconds), the
/// registry's contracts deployed once, and the deployment written where the other commands read it.
/// </summary>
public static class DevChain
{
    private const int ChainId = 31337;

    public static string StateFile(DevChainOptions options) => Path.Combine(options.Directory, "state.json");

    public static string PidFile(DevChainOptions options) => Path.Combine(options.Directory, "anvil.pid");

    public static string LogFile(DevChainOptions options) => Path.Combine(options.Directory, "anvil.log");

    public static string DeploymentPath(DevChainOptions options) => Path.Combine(options.Directory, "deployment.json");

    /// <summary>Starts the chain unless it runs, and deploys the contracts unless they are there.</summary>
    public static async Task<DevChainStatus> UpAsync(DevChainOptions options, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        System.IO.Directory.CreateDirectory(options.Directory);
        var rpcUrl = $"http://127.0.0.1:{options.Port}";
        var pid = RunningPid(options);
        var started = false;
        if (pid is null)
        {
            if (await AnswersAsync(rpcUrl, cancellationToken).ConfigureAwait(false))
            {
                throw new DeploymentException($"something else answers on {rpcUrl}; stop it, or start the chain on another port with `modulus chain up --port N`");
            }

            progress?.Report($"Starting anvil on {rpcUrl} (state in {StateFile(options)})");
            pid = Start(options);
            started = true;
            await WaitForAsync(rpcUrl, options, cancellationToken).ConfigureAwait(false);
        }
        else if (!await AnswersAsync(rpcUrl, cancellationToken).ConfigureAwait(false))
        {
            // One development chain per state folder: a second Anvil on another port would share its
            // state file and deployment, so the running one is named instead.
            var running = File.Exists(DeploymentPath(options)) ? TryReadRpcUrl(DeploymentPath(options)) : null;
            throw new DeploymentException($"a development chain is already running (pid {pid}{(running is null ? string.Empty : $" on {running}")}), not on {rpcUrl}; use it (pass --rpc {running ?? "URL"}), or stop it with `modulus chain down` and start it again with --port {options.Port}");
        }

        var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], ChainId), rpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        var deploymentPath = DeploymentPath(options);
        if (File.Exists(deploymentPath))
        {
            var (existing, _) = DeploymentFile.Read(deploymentPath);
            var code = await web3.Eth.GetCode.SendRequestAsync(existing.Registry).ConfigureAwait(false);
            if (code is { Length: > 2 })
            {
                DeploymentFile.Write(deploymentPath, existing, rpcUrl);
                return new DevChainStatus(rpcUrl, existing, pid.Value, started, Deployed: false, StateFile(options));
            }
        }

        progress?.Report("Deploying GPTToken, ModuleRegistry, ModuleStaking and CallEscrow");
        var deployment = await RegistryDeployer.DeployAsync(web3, options.UnstakeCooldown, options.EscrowThaw, cancellationToken).ConfigureAwait(false);
        var contracts = new RegistryContracts(web3, deployment);
        foreach (var key in AnvilNode.DevPrivateKeys)
        {
            await contracts.MintAsync(new Nethereum.Signer.EthECKey(key).GetPublicAddress(), options.GrantPerAccount, cancellationToken).ConfigureAwait(false);
        }

        DeploymentFile.Write(deploymentPath, deployment, rpcUrl);
        return new DevChainStatus(rpcUrl, deployment, pid.Value, started, Deployed: true, StateFile(options));
    }

    private static string? TryReadRpcUrl(string deploymentPath)
    {
        try
        {
            return DeploymentFile.Read(deploymentPath).RpcUrl;
        }
        catch (DeploymentException)
        {
            return null;
        }
    }

    /// <summary>Stops the chain; its state is saved to the state file as it exits.</summary>
    /// <returns>The pid stopped, or null when none was running.</returns>
    public static async Task<int?> DownAsync(DevChainOptions options, CancellationToken cancellationToken = default)
    {
        var pid = RunningPid(options);
        if (pid is null)
        {
            return null;
        }

        using (var process = Process.GetProcessById(pid.Value))
        {
            // SIGTERM, not SIGKILL: anvil writes its --state file on a clean exit.
            using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", pid.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            if (term is not null)
            {
                await term.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill();
            }
        }

        File.Delete(PidFile(options));
        return pid;
    }

    /// <summary>The pid of the chain this folder started, when it still runs.</summary>
    public static int? RunningPid(DevChainOptions options)
    {
        var path = PidFile(options);
        if (!File.Exists(path) || !int.TryParse(File.ReadAllText(path).Trim(), out var pid))
        {
            return null;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            // Right after the start the pid may still show the shell or setsid that exec anvil.
            if (!process.HasExited && process.ProcessName is "anvil" or "setsid" or "sh")
            {
                return pid;
            }
        }
        catch (ArgumentException)
        {
            // No such process: the pid file is stale.
        }

        File.Delete(path);
        return null;
    }

    private static int Start(DevChainOptions options)
    {
        var anvil = options.AnvilExecutable ?? AnvilNode.Locate()
            ?? throw new DeploymentException("anvil is not installed; run `make deps` (it installs @foundry-rs/anvil into registry/contracts) or set MODULUS_ANVIL");
        string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var state = StateFile(options);
        var arguments = new StringBuilder()
            .Append("--host 127.0.0.1 --port ").Append(options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(" --chain-id ").Append(ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Append(" --state ").Append(Quote(state))
            .Append(" --state-interval 5");
        // setsid: the chain has its own session, so Ctrl+C in the terminal that started it does not stop it;
        // exec: the pid we get is anvil's own.
        var script = $"exec setsid {Quote(anvil)} {arguments} >>{Quote(LogFile(options))} 2>&1 </dev/null";
        using var shell = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })
            ?? throw new DeploymentException($"{anvil} did not start");
        File.WriteAllText(PidFile(options), shell.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return shell.Id;
    }

    private static async Task WaitForAsync(string rpcUrl, DevChainOptions options, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await AnswersAsync(rpcUrl, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            if (RunningPid(options) is null)
            {
                var log = File.Exists(LogFile(options)) ? string.Join(" | ", File.ReadLines(LogFile(options)).TakeLast(5)) : string.Empty;
                throw new DeploymentException($"anvil exited at start; its log ({LogFile(options)}) ends: {log}");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new DeploymentException($"anvil did not answer on {rpcUrl} within 30 s; see {LogFile(options)}");
    }

    private static async Task<bool> AnswersAsync(string rpcUrl, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}""", Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(rpcUrl, content, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
