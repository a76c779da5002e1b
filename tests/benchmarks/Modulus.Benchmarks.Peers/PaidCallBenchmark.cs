using System.Diagnostics;
using System.Numerics;
using System.Text.Json;
using Modulus.Client;
using Modulus.Client.Keys;
using Modulus.Protocol;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Registry.Chain;
using Modulus.Registry.Payments;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Benchmarks.Peers;

/// <summary>
/// Paid calls beside signed and unsigned ones: a real Anvil with the registry's contracts (deployed
/// by <see cref="RegistryDeployer"/>, as <c>modulus chain up</c> and the functional tests do), a
/// deposit made with <c>modulus pay deposit</c>, and <c>modulus serve</c> on the chain serving the
/// same echo three ways (open, signed, paid). One call in flight and 64, over TCP and gRPC; then a
/// stopwatch breakdown of what a paid call adds, and a second host whose ledger is on tmpfs, to
/// show the share of the ledger's fsync in the whole call.
/// </summary>
internal sealed class PaidCallBenchmark(HarnessOptions options, Report report)
{
    /// <summary>The price of echo.paid, per call (tests/benchmarks/modules-paid/echo/paid/module.json).</summary>
    public const string Price = "0.000001";

    private const string Open = "echo.open";
    private const string Signed = "echo.signed";
    private const string Paid = "echo.paid";
    private const string DevPassphrase = "dev";

    /// <summary>What the payer deposits for each host, in $GPT: at the price above, a billion calls.</summary>
    private const string Deposit = "1000";

    /// <summary>
    /// The host redeems when it is owed this much; the run owes well under 1 $GPT, so it never
    /// redeems while measured (and it is stopped with SIGKILL, so not on shutdown either).
    /// </summary>
    private const string RedeemThreshold = "1000000";

    private static readonly string[] Transports = ["tcp", "grpc"];

    /// <summary>Paid p50 over signed p50 with one call in flight, per transport ("TCP", "gRPC").</summary>
    public static Dictionary<string, double> PaidOverSigned { get; } = [];

    public async Task RunAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"modulus-bench-paid-{Environment.ProcessId}");
        var tmpfs = Path.Combine("/dev/shm", $"modulus-bench-paid-{Environment.ProcessId}");
        var tree = Path.GetFullPath(options.PaidTree);
        var servers = new List<ServerProcess>();
        var callers = new List<AccessCaller>();
        AnvilNode? anvil = null;
        try
        {
            Directory.CreateDirectory(root);
            var progress = Progress.Start("paid calls: Anvil, contracts, deposits and two hosts", 1);
            anvil = await AnvilNode.StartAsync(new AnvilOptions()).ConfigureAwait(false);
            var owner = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), anvil.RpcUrl);
            owner.TransactionManager.UseLegacyAsDefault = true;
            var deployment = await RegistryDeployer.DeployAsync(owner, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
            await new RegistryContracts(owner, deployment).MintAsync(Dev(1), 10_000 * BigInteger.Pow(10, 18)).ConfigureAwait(false);
            var deploymentFile = Path.Combine(root, "deployment.json");
            DeploymentFile.Write(deploymentFile, deployment, anvil.RpcUrl);

            // The payer's key in the key ring the CLI reads, as `modulus chain up` puts it there.
            var home = Path.Combine(root, "home");
            new KeyRing(Path.Combine(home, "keys")).ImportPrivateKey("dev1", AnvilNode.DevPrivateKeys[1], DevPassphrase);

            // The measured host (dev2's key, funded with ETH by Anvil) and the profiling host (dev3's), a deposit for each.
            var ledger = Path.Combine(root, "ledger", "vouchers.log");
            var tmpfsLedger = Path.Combine(tmpfs, "vouchers.log");
            foreach (var receiver in new[] { Dev(2), Dev(3) })
            {
                var deposit = await CliAsync(home, "pay", "deposit", receiver, Deposit, "--key", "dev1", "--deployment", deploymentFile).ConfigureAwait(false);
                if (deposit.Exit != 0 || !deposit.Out.StartsWith("Deposited ", StringComparison.Ordinal) || !deposit.Out.Contains($" $GPT for {receiver}", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"modulus pay deposit {receiver} {Deposit} did not deposit: exit {deposit.Exit}: {deposit.Out.Trim()} {deposit.Error.Trim()}");
                }
            }

            var host = await StartHostAsync(tree, home, deploymentFile, 2, ledger).ConfigureAwait(false);
            var server = new ServerProcess("Modulus host on a chain (`modulus serve --deployment`)", host.Process);
            servers.Add(server);
            var tmpfsHost = await StartHostAsync(tree, Path.Combine(root, "home-tmpfs"), deploymentFile, 3, tmpfsLedger).ConfigureAwait(false);
            var tmpfsServer = new ServerProcess("Modulus host, ledger on tmpfs", tmpfsHost.Process);
            servers.Add(tmpfsServer);
            progress.Step();

            var signer = CallSigner.FromPrivateKey(Convert.FromHexString(AnvilNode.DevPrivateKeys[1][2..]));
            // One tally for every paying client: what dev1 has paid each host for echo.paid, whichever client paid it.
            var tally = new PaymentTally();
            ModulusPaymentOptions Pay() => new(signer, Price) { Tally = tally };
            foreach (var transport in Transports)
            {
                var address = host.Address(transport);
                var label = Label(transport);
                callers.AddRange(
                [
                    new AccessCaller($"{label}, unsigned ({Open})", server, address, Open, new ModulusClientOptions()),
                    new AccessCaller($"{label}, signed ({Signed})", server, address, Signed, new ModulusClientOptions { Signer = signer }),
                    new AccessCaller($"{label}, paid ({Paid})", server, address, Paid, new ModulusClientOptions { Payment = Pay() }),
                    new AccessCaller($"{label}, paid and signed ({Paid})", server, address, Paid, new ModulusClientOptions { Signer = signer, Payment = Pay() }),
                ]);
            }

            var tmpfsPaid = new AccessCaller($"TCP, paid ({Paid}), ledger on tmpfs", tmpfsServer, tmpfsHost.Address("tcp"), Paid, new ModulusClientOptions { Payment = Pay() });
            callers.Add(tmpfsPaid);

            var echo = Workload.Echo("echo, 16 B string", FloorServer.EchoBytes);
            var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            await Measurements.WarmUpAsync(callers, [echo], options.Quick ? 100 : 500, TimeSpan.FromSeconds(options.Quick ? 0.2 : 1)).ConfigureAwait(false);
            var calls = Calls;
            var latency = await Measurements.LatencyAsync(echo, callers, calls, 200, 10, Progress.Start($"paid calls: latency ({calls:N0} calls × {callers.Count} kinds)", 10)).ConfigureAwait(false);
            var throughput = await Measurements.ThroughputAsync(echo, callers, 64, options.ThroughputTime, 2, Progress.Start($"paid calls: throughput, 64 in flight × {callers.Count} kinds", 2)).ConfigureAwait(false);

            // Every paid call answered is on the ledger, and nothing else is: read back as `modulus earnings` shows it.
            var paidCallers = callers.Where(c => c.Module == Paid && c.Server == server).ToArray();
            var answered = paidCallers.Sum(c => c.Answered);
            await CheckLedgerAsync(home, ledger, answered).ConfigureAwait(false);
            await CheckLedgerAsync(home, tmpfsLedger, tmpfsPaid.Answered).ConfigureAwait(false);

            load += " to " + File.ReadAllText("/proc/loadavg").Split(' ')[0];
            var breakdown = Breakdown(signer, new HostIdentity(Dev(2), 31337), deployment.Escrow!, ledger);
            Write(callers, latency, throughput, breakdown, answered, tmpfsPaid, load);
        }
        finally
        {
            foreach (var caller in callers)
            {
                await caller.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            if (anvil is not null)
            {
                await anvil.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var folder in new[] { root, tmpfs })
            {
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>Calls per row with one in flight: fewer than the other sections', as a signed or paid call costs milliseconds of the client's signing.</summary>
    private int Calls => options.Quick ? 1_000 : 2_000;

    private static string Label(string transport) => transport == "tcp" ? "TCP" : "gRPC";

    private static string Dev(int i) => new Nethereum.Signer.EthECKey(AnvilNode.DevPrivateKeys[i]).GetPublicAddress();

    private Task<HostProcess> StartHostAsync(string tree, string home, string deployment, int key, string ledger)
    {
        Directory.CreateDirectory(home);
        var keyFile = Path.Combine(home, "host.key");
        File.WriteAllText(keyFile, AnvilNode.DevPrivateKeys[key][2..]);
        return HostProcess.StartAsync(options.Cli, tree, home, TimeSpan.FromMinutes(2), ["--deployment", deployment], new Dictionary<string, string>
        {
            ["Modulus__Identity__KeyFile"] = keyFile,
            ["Modulus__Payments__LedgerFile"] = ledger,
            ["Modulus__Payments__RedeemThreshold"] = RedeemThreshold,
        });
    }

    private async Task CheckLedgerAsync(string home, string ledger, long answered)
    {
        var earnings = await CliAsync(home, "earnings", "--ledger", ledger, "--json").ConfigureAwait(false);
        if (earnings.Exit != 0)
        {
            throw new InvalidOperationException($"modulus earnings --ledger {ledger}: exit {earnings.Exit}: {earnings.Error.Trim()}");
        }

        using var document = JsonDocument.Parse(earnings.Out);
        var entries = document.RootElement.EnumerateArray().ToArray();
        var calls = entries.Sum(e => e.GetProperty("calls").GetInt64());
        var served = entries.Aggregate(BigInteger.Zero, (sum, e) => sum + Modulus.Modules.GptAmount.Parse(e.GetProperty("served").GetString()!));
        if (entries.Length != 1 || calls != answered || served != answered * Modulus.Modules.GptAmount.Parse(Price))
        {
            throw new InvalidOperationException($"the ledger {ledger} holds {calls:N0} calls for {Modulus.Modules.GptAmount.Format(served)} $GPT in {entries.Length} entries; the callers were answered {answered:N0} paid calls at {Price}");
        }
    }

    /// <summary>What each step a paid or signed call adds costs alone, timed here: the same code the client and the host run.</summary>
    private List<(string Side, string Step, double P50, double Mean)> Breakdown(CallSigner signer, HostIdentity host, string escrow, string ledger)
    {
        var rows = new List<(string, string, double, double)>();
        var n = options.Quick ? 500 : 2_000;
        var call = CallMapper.ToMessage(new ModuleCall(Signed, "forward", [new string('a', FloorServer.EchoBytes)], new Dictionary<string, Sdk.Value>()));
        var vouchers = new VoucherDigest(host.ChainId, escrow);
        var amount = Modulus.Modules.GptAmount.Parse(Price);

        var (p50, mean) = Time(n, () => CallSignature.Sign(call, signer, host, DateTimeOffset.UtcNow));
        rows.Add(("client", "sign the call (keccak256 digest, personal-message signature; NBitcoin.Secp256k1)", p50, mean));
        (p50, mean) = Time(n, () => vouchers.Sign(signer, signer.Address, host.Address, Paid, amount));
        rows.Add(("client", "sign the voucher (EIP-712 digest, signature; NBitcoin.Secp256k1)", p50, mean));

        CallSignature.Sign(call, signer, host, DateTimeOffset.UtcNow);
        var digest = CallSignature.Digest(host, call.Module, call.Endpoint, call.Auth.PayloadHash.Span, call.Auth.TimestampMs, call.Auth.Nonce.Span);
        var callSignature = call.Auth.Signature.ToByteArray();
        (p50, mean) = Time(n, () => Same(CallSignature.RecoverPersonal(digest, callSignature), signer.Address));
        rows.Add(("host", "recover the call's signer (NBitcoin.Secp256k1)", p50, mean));
        var voucher = vouchers.Sign(signer, signer.Address, host.Address, Paid, amount).Signature.ToByteArray();
        (p50, mean) = Time(n, () => Same(vouchers.Recover(signer.Address, host.Address, Paid, amount, voucher), signer.Address));
        rows.Add(("host", "recover the voucher's signer (NBitcoin.Secp256k1)", p50, mean));

        // The ledger's write, by the host's own ledger (its file grown ahead in zeros, each record
        // written in place and synced), of the host's own last entry, into a file beside it; then
        // the same record appended to a plain file and fsynced, as the ledger wrote before.
        var entry = VoucherLedger.ReadOnly(ledger).Entries[0];
        var probe = Path.Combine(Path.GetDirectoryName(ledger)!, "probe", "vouchers.log");
        var writes = options.Quick ? 300 : 1_000;
        using (var book = VoucherLedger.Open(probe))
        {
            (p50, mean) = Time(writes, () =>
            {
                if (!book.WriteAsync(entry).IsCompletedSuccessfully)
                {
                    throw new InvalidOperationException("one writer's ledger write completes before it returns");
                }
            });
        }

        var line = File.ReadLines(probe).First() + "\n";
        rows.Add(("host", $"write a ledger record ({line.Length} bytes) and sync it, by the host's ledger, on the ledger's file system", p50, mean));
        var plain = Path.Combine(Path.GetDirectoryName(ledger)!, "probe", "appended.log");
        using (var file = new FileStream(plain, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite, 4096, FileOptions.None))
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(line);
            (p50, mean) = Time(writes, () =>
            {
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            });
        }

        Directory.Delete(Path.GetDirectoryName(probe)!, recursive: true);
        rows.Add(("host", "for comparison: append the same record to a plain file and fsync it (the file grows at each sync)", p50, mean));
        return rows;

        static void Same(string a, string b)
        {
            if (!string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"recovered {a}, not {b}");
            }
        }
    }

    private static (double P50, double Mean) Time(int n, Action step)
    {
        for (var i = 0; i < Math.Min(50, n); i++)
        {
            step();
        }

        var samples = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            var started = Stopwatch.GetTimestamp();
            step();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
        }

        return (Measurements.Percentile(samples, 0.5), samples.Average());
    }

    private void Write(
        List<AccessCaller> callers,
        Dictionary<ICaller, List<double>> latency,
        Dictionary<ICaller, Throughput> throughput,
        List<(string Side, string Step, double P50, double Mean)> breakdown,
        long answered,
        AccessCaller tmpfsPaid,
        string load)
    {
        double P50(ICaller c) => Measurements.Percentile(latency[c], 0.5);
        AccessCaller Find(string transport, string kind) => callers.First(c => c.Name.StartsWith($"{Label(transport)}, {kind} (", StringComparison.Ordinal) && c != tmpfsPaid);

        report.Heading("Paid calls");
        report.Paragraph("The same echo (16 B string, a C# module in the host process) served three ways by one `modulus serve` on a real Anvil chain: "
            + $"`{Open}` open to all, `{Signed}` with `\"access\": {{\"mode\": \"signed\"}}`, `{Paid}` with `\"mode\": \"paid\", \"price\": \"{Price}\"` "
            + "(tests/benchmarks/modules-paid). The harness starts Anvil (registry/contracts' anvil), deploys the contracts with the project's deployer "
            + $"(as `modulus chain up` does), and dev1 deposits {Deposit} $GPT for the host with `modulus pay deposit`. The host's key is dev2's (Anvil funds it "
            + $"with ETH), and `Modulus:Payments:RedeemThreshold` is {RedeemThreshold} $GPT, so the host never redeems during the run (the run owes it well "
            + "under 1 $GPT; it is stopped with SIGKILL, so it does not redeem on shutdown either): every paid call pays its voucher check and the ledger's "
            + "fsync before the answer, and nothing else. Each row is a client of its own (one connection) signing with dev1's key: signed calls carry "
            + "a call signature, paid calls a voucher (EIP-712) and, \"paid and signed\", both (as `modulus call --pay --key` sends). Every reply is "
            + $"checked, and after the run the host's ledger (read with `modulus earnings --json`) holds exactly the {answered:N0} paid calls answered "
            + $"and {Modulus.Modules.GptAmount.Format(answered * Modulus.Modules.GptAmount.Parse(Price))} $GPT for them. Load average (1 min) over the "
            + $"measurements: {load}.");

        var rows = new List<string[]>();
        foreach (var caller in callers)
        {
            var list = latency[caller];
            var (p50, p99, p999, mean) = (P50(caller), Measurements.Percentile(list, 0.99), Measurements.Percentile(list, 0.999), list.Average());
            var transport = caller.Name.StartsWith("TCP", StringComparison.Ordinal) ? "tcp" : "grpc";
            var signed = P50(Find(transport, "signed"));
            var rate = throughput[caller];
            rows.Add([caller.Name, Report.Number(p50), Report.Number(p99), Report.Number(p999), Report.Number(mean), Report.Ratio(p50 / signed),
                Report.Number(rate.CallsPerSecond), Report.Number(rate.ClientCores), Report.Number(rate.ServerCores)]);
            foreach (var (metric, value) in new[] { ("p50", p50), ("p99", p99), ("p99.9", p999), ("mean", mean) })
            {
                report.Add("paid calls", "echo, 16 B string", caller.Name, metric, value, "us");
            }

            report.Add("paid calls", "echo, 16 B string", caller.Name, "calls/s at 64 in flight", rate.CallsPerSecond, "calls/s");
            report.Add("paid calls", "echo, 16 B string", caller.Name, "client cores at 64 in flight", rate.ClientCores, "cores");
            report.Add("paid calls", "echo, 16 B string", caller.Name, "server cores at 64 in flight", rate.ServerCores, "cores");
        }

        report.Paragraph($"One call in flight: latency in µs over {Calls:N0} calls per row in alternating rounds; \"÷ signed\" is the row's p50 over the "
            + $"signed row's of the same transport. Then calls/s with 64 calls in flight on the row's one client, {options.ThroughputTime.TotalSeconds:0.#} s per row "
            + "in two alternating rounds, with the cores the load generator and the host kept busy. The last row is a second host (dev3's key, a deposit of its own) whose ledger is on tmpfs "
            + "(/dev/shm), where fsync returns at once: a profile of what the ledger's durable fsync costs, not a configuration to run (the ledger must reach the disk).");
        report.Table([$"{Calls:N0} calls", "p50", "p99", "p99.9", "mean", "÷ signed p50", "calls/s at 64", "client cores", "server cores"], rows);

        foreach (var transport in Transports)
        {
            PaidOverSigned[Label(transport)] = P50(Find(transport, "paid")) / P50(Find(transport, "signed"));
        }

        report.Heading("Where a paid call's time goes", 3);
        report.Paragraph("Each step alone, timed in the load generator's process with the code the client and the host run (one thread, p50 and mean in µs), "
            + "and the ledger's write on the file system its file is on. A signed call costs one signature on the client and one recovery on the host; "
            + "a paid call costs one of each for its voucher instead, and the ledger's write and sync before the host answers (\"no money lost\": "
            + "every answered call's voucher is on disk).");
        report.Table(["step", "where", "p50, µs", "mean, µs"], breakdown.Select(b => (IReadOnlyList<string>)[b.Step, b.Side, Report.Number(b.P50), Report.Number(b.Mean)]));
        foreach (var b in breakdown)
        {
            report.Add("paid calls: breakdown", b.Step, b.Side, "p50", b.P50, "us");
        }

        var (tcpSigned, tcpPaid, tcpOpen) = (P50(Find("tcp", "signed")), P50(Find("tcp", "paid")), P50(Find("tcp", "unsigned")));
        var tmpfs = P50(tmpfsPaid);
        var fsync = breakdown.Single(b => b.Step.StartsWith("write a ledger record", StringComparison.Ordinal)).P50;
        var appended = breakdown.Single(b => b.Step.StartsWith("for comparison", StringComparison.Ordinal)).P50;
        var (signCall, signVoucher) = (breakdown[0].P50, breakdown[1].P50);
        var (signedRate, paidRate) = (throughput[Find("tcp", "signed")], throughput[Find("tcp", "paid")]);
        // Differences of p50s measured apart: on a loaded machine they can come out below zero, and then say nothing.
        static string Versus(double difference, string other) =>
            difference >= 0 ? $"{Report.Number(difference)} above {other}" : $"{Report.Number(-difference)} below {other}";
        var ledgerShare = tcpPaid - tmpfs > 0
            ? $"so the ledger's fsync accounts for about {Report.Number(tcpPaid - tmpfs)} µs of the paid call"
            : "a difference lost in this run's noise";
        report.Paragraph($"Over TCP a signed call's p50 is {Report.Number(tcpSigned)} µs ({Versus(tcpSigned - tcpOpen, "the unsigned call")}), a paid call's "
            + $"{Report.Number(tcpPaid)} µs ({Versus(tcpPaid - tcpSigned, "the signed call")}); with the ledger on tmpfs the paid call's p50 is "
            + $"{Report.Number(tmpfs)} µs, {ledgerShare} (alone, the ledger's write and sync takes {Report.Number(fsync)} µs at p50 here, "
            + $"where appending to a plain file and fsyncing it takes {Report.Number(appended)}). "
            + $"Target: a paid call's p50 within 1.5× of a signed call's: {Report.Ratio(PaidOverSigned["TCP"])} over TCP "
            + $"({(PaidOverSigned["TCP"] <= 1.5 ? "met" : "**missed**")}), {Report.Ratio(PaidOverSigned["gRPC"])} over gRPC ({(PaidOverSigned["gRPC"] <= 1.5 ? "met" : "**missed**")}). "
            + $"A signed call adds a signature on the client ({Report.Number(signCall)} µs at p50, alone) and a recovery on the host; a paid call adds the same for its voucher "
            + $"({Report.Number(signVoucher)} µs to sign) and, before the host answers, the ledger's write and sync: what sets a paid call apart from a signed one is that sync "
            + $"({Report.Number(fsync)} µs alone). At 64 in flight: {Report.Number(signedRate.CallsPerSecond)} signed and {Report.Number(paidRate.CallsPerSecond)} paid calls/s over TCP, "
            + $"the load generator at {Report.Number(signedRate.ClientCores)} and {Report.Number(paidRate.ClientCores)} cores, the host at "
            + $"{Report.Number(signedRate.ServerCores)} and {Report.Number(paidRate.ServerCores)}.");
    }

    private async Task<(int Exit, string Out, string Error)> CliAsync(string home, params string[] arguments)
    {
        var info = new ProcessStartInfo(options.Cli, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["MODULUS_HOME"] = home;
        foreach (var name in new[] { "MODULUS_PASSPHRASE", "MODULUS_KEY", "MODULUS_DEPLOYMENT" })
        {
            info.Environment.Remove(name);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{options.Cli} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
