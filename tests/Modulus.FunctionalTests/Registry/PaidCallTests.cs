using System.Diagnostics;
using System.Numerics;
using Microsoft.Extensions.DependencyInjection;
using Modulus.Client;
using Modulus.Modules;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Registry.Chain;
using Modulus.Registry.Payments;
using Modulus.Sdk;
using Modulus.Testing;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// Paid calls end to end on a real Anvil with the compiled escrow: dev0 owns the module, dev1 pays,
/// dev2 is the host (its key is the host key, so its address receives and redeems the vouchers).
/// </summary>
public sealed class PaidCallTests : IAsyncLifetime
{
    private const string Echo = "public sealed class E : Module { public string Forward(CallContext context, string text = \"\") => text; }";
    private const string Paid = """, "access": { "mode": "paid", "price": "0.001" }""";

    // One item per "token"; 0.001 per call plus 0.5 per 1,000 tokens (0.0005 a token).
    private const string Tokens = """
        public sealed class T : Module
        {
            [Endpoint]
            public async IAsyncEnumerable<string> Forward(int n)
            {
                for (var i = 0; i < n; i++)
                {
                    yield return $"t{i}";
                }

                await Task.CompletedTask;
            }
        }
        """;

    private const string Metered = """, "access": { "mode": "paid", "price": "0.001", "price_per_1k_tokens": "0.5" }""";
    private static readonly BigInteger Price = GptAmount.Parse("0.001");

    private readonly TempTree _tree = new();
    private RegistryNetwork _network = null!;
    private string _hostKeyFile = null!;

    private static string Dev(int i) => new Nethereum.Signer.EthECKey(AnvilNode.DevPrivateKeys[i]).GetPublicAddress();

    private static CallSigner Signer(int i) => CallSigner.FromPrivateKey(Convert.FromHexString(AnvilNode.DevPrivateKeys[i][2..]));

    public async Task InitializeAsync()
    {
        _network = await RegistryNetwork.StartAsync();
        var owner = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), _network.Anvil.RpcUrl);
        owner.TransactionManager.UseLegacyAsDefault = true;
        await new RegistryContracts(owner, _network.Deployment).ClaimNameAsync("paid.echo");
        await new RegistryContracts(owner, _network.Deployment).ClaimNameAsync("paid.tokens");
        _tree.AddCSharp("paid/echo", Echo, Paid);
        _tree.AddCSharp("paid/tokens", Tokens, Metered);
        _tree.AddCSharp("free/echo", Echo);
        _hostKeyFile = Path.Combine(_network.Home, "host.key");
        await File.WriteAllTextAsync(_hostKeyFile, AnvilNode.DevPrivateKeys[2]);
    }

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Deposit_AThousandPaidCallsOverTcp_RedeemedOnShutdown_PayExactlyPriceTimesCalls()
    {
        var ledger = Path.Combine(_network.Home, "host-ledger.log");
        var deposit = await Run("pay", "deposit", Dev(2), "2", "--key", "dev1");
        Assert.True(deposit.ExitCode == 0, deposit.ToString());
        Assert.Contains($"Deposited 2 $GPT for {Dev(2)}", deposit.Out, StringComparison.OrdinalIgnoreCase);
        var status = await Run("pay", "status", "--key", "dev1");
        Assert.Contains("BALANCE", status.Out);
        Assert.Contains(Dev(2), status.Out, StringComparison.OrdinalIgnoreCase);

        var token = new RegistryContracts(new Web3(_network.Anvil.RpcUrl), _network.Deployment);
        var hostBefore = await token.BalanceOfAsync(Dev(2));
        var ownerBefore = await token.BalanceOfAsync(Dev(0));

        var host = await StartHostAsync(ledger);
        await using (host)
        {
            var info = await Run("info", "paid.echo", "--url", host.Addresses.Single(a => a.StartsWith("tcp", StringComparison.Ordinal)));
            Assert.Contains("access: paid, 0.001 $GPT per call", info.Out);

            var tcp = host.Addresses.Single(a => a.StartsWith("tcp", StringComparison.Ordinal));
            await using var payer = ModulusClient.Connect(tcp, new ModulusClientOptions { Payment = new ModulusPaymentOptions(Signer(1), "0.001") });
            // Eight callers at once, 125 calls each: vouchers arrive out of order and are all covered.
            await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
            {
                for (var i = 0; i < 125; i++)
                {
                    Assert.Equal($"{worker}-{i}", (await payer.CallAsync("paid.echo", $"{worker}-{i}")).AsString());
                }
            }));
            Assert.Equal("free", (await payer.CallAsync("free.echo", "free")).AsString()); // no voucher for a free module

            await using var frugal = ModulusClient.Connect(tcp, new ModulusClientOptions { Payment = new ModulusPaymentOptions(Signer(1), "0.0005") });
            var tooDear = await Assert.ThrowsAsync<ModulusException>(() => frugal.CallAsync("paid.echo", "x"));
            Assert.Equal(StatusCode.FailedPrecondition, tooDear.Code);
            Assert.Contains("costs 0.001 $GPT per call, above this caller's maximum of 0.0005", tooDear.Message);

            await using var unpaid = ModulusClient.Connect(tcp);
            var refused = await Assert.ThrowsAsync<ModulusException>(() => unpaid.CallAsync("paid.echo", "x"));
            Assert.Equal(StatusCode.PermissionDenied, refused.Code);
            Assert.Contains("paid.echo is paid: 0.001 $GPT per call", refused.Message);

            var earnings = await Run("earnings", "--ledger", ledger);
            Assert.True(earnings.ExitCode == 0, earnings.ToString());
            Assert.Contains("1,000", earnings.Out);
            Assert.Contains("owed 1 $GPT, redeemed 0 $GPT", earnings.Out);
        }

        // The host redeemed on shutdown: 1,000 calls at 0.001, split 70% host, 30% owner (no stake counts).
        Assert.Equal(hostBefore + 1000 * Price * 7 / 10, await token.BalanceOfAsync(Dev(2)));
        Assert.Equal(ownerBefore + 1000 * Price * 3 / 10, await token.BalanceOfAsync(Dev(0)));
        var after = await Run("earnings", "--ledger", ledger, "--json");
        Assert.Contains("\"redeemed\": \"1\"", after.Out);
        var redeem = await Run("redeem", "--ledger", ledger, "--host-key", _hostKeyFile);
        Assert.True(redeem.ExitCode == 0, redeem.ToString());
        Assert.Contains("Nothing to redeem", redeem.Out);

        var thaw = await Run("pay", "withdraw", Dev(2), "--key", "dev1");
        Assert.True(thaw.ExitCode == 0, thaw.ToString());
        Assert.Contains("Thawing 1 $GPT", thaw.Out);
        var early = await Run("pay", "withdraw", Dev(2), "--key", "dev1");
        Assert.Equal(1, early.ExitCode);
        Assert.StartsWith("error: the thaw is not over", early.Error);
        Assert.Single(early.Error.TrimEnd().Split('\n'));

        var authorize = await Run("pay", "authorize", Dev(0), "--key", "dev1");
        Assert.True(authorize.ExitCode == 0, authorize.ToString());
        Assert.Contains("authorized", (await Run("pay", "status", "--key", "dev1")).Out);
    }

    [Fact]
    public async Task AMeteredStream_IsChargedItsPricePlusItsTokens_StopsAtItsCredit_AndTheChainPaysExactlyThat()
    {
        var ledger = Path.Combine(_network.Home, "metered-ledger.log");
        Assert.Equal(0, (await Run("pay", "deposit", Dev(2), "1", "--key", "dev1")).ExitCode);
        var token = new RegistryContracts(new Web3(_network.Anvil.RpcUrl), _network.Deployment);
        var hostBefore = await token.BalanceOfAsync(Dev(2));
        var ownerBefore = await token.BalanceOfAsync(Dev(0));
        var perToken = GptAmount.Parse("0.0005");
        BigInteger redeemable;

        var host = await StartHostAsync(ledger);
        await using (host)
        {
            var tcp = host.Addresses.Single(a => a.StartsWith("tcp", StringComparison.Ordinal));
            Assert.Contains("0.001 $GPT per call, 0.5 $GPT per 1,000 tokens", (await Run("info", "paid.tokens", "--url", tcp)).Out);
            // A maximum of 0.01 per call is the credit of each stream: 0.009 after the price, 18 tokens.
            var options = new ModulusPaymentOptions(Signer(1), "0.01");
            await using var payer = ModulusClient.Connect(tcp, new ModulusClientOptions { Payment = options });
            var key = PaymentTally.Key(Dev(1), Dev(2), 31337, _network.Deployment.Escrow!, "paid.tokens");

            var ten = await payer.StreamAsync("paid.tokens", Value.From(10)).ToListAsync();
            Assert.Equal(10, ten.Count);
            Assert.Equal(Price + 10 * perToken, options.Tally.Paid(key));

            var items = new List<string>();
            var stopped = await Assert.ThrowsAsync<ModulusException>(async () =>
            {
                await foreach (var item in payer.StreamAsync("paid.tokens", Value.From(30)))
                {
                    items.Add(item.AsString());
                }
            });
            Assert.Equal(StatusCode.ResourceExhausted, stopped.Code);
            Assert.StartsWith("paid.tokens/forward stopped after 18 tokens: the call's credit of 0.01 $GPT pays for no more", stopped.Message);
            Assert.Equal(18, items.Count);
            Assert.Equal(2 * Price + 28 * perToken, options.Tally.Paid(key));

            // Called for one answer, the items come back as a list and are charged the same way.
            Assert.Equal(5, (await payer.CallAsync("paid.tokens", 5)).AsList().Count);
            Assert.Equal(3 * Price + 33 * perToken, options.Tally.Paid(key));

            var entry = host.Server.Services.GetRequiredService<EscrowPaymentGate>().Ledger.Find(Dev(1), "paid.tokens")!;
            Assert.Equal((3L, 3 * Price + 33 * perToken), (entry.Calls, entry.Served));

            // Leaving a stream early does not make it free: the host charges what it sent, the client
            // pays what arrived and settles the rest when the host says so, never beyond the credit.
            await foreach (var item in payer.StreamAsync("paid.tokens", Value.From(15)))
            {
                if (item.AsString() == "t2")
                {
                    break;
                }
            }

            Assert.Equal(4, (await payer.StreamAsync("paid.tokens", Value.From(4)).ToListAsync()).Count);
            entry = host.Server.Services.GetRequiredService<EscrowPaymentGate>().Ledger.Find(Dev(1), "paid.tokens")!;
            Assert.Equal(5L, entry.Calls);
            Assert.InRange(entry.Served, 5 * Price + 40 * perToken, 5 * Price + 52 * perToken);
            Assert.InRange(options.Tally.Paid(key), entry.Served, entry.Served + Price);

            // A maximum that pays for no token is refused before anything is signed.
            await using var frugal = ModulusClient.Connect(tcp, new ModulusClientOptions { Payment = new ModulusPaymentOptions(Signer(1), "0.001") });
            var tooLow = await Assert.ThrowsAsync<ModulusException>(async () => await frugal.StreamAsync("paid.tokens", Value.From(1)).ToListAsync());
            Assert.Equal(StatusCode.FailedPrecondition, tooLow.Code);
            Assert.Contains("pays for no token; nothing was signed or sent", tooLow.Message);
            // The host holds the latest voucher: what the client paid before the last stream (what
            // was served, or up to a price more after settling the early exit) plus that stream's
            // whole credit, so it covers what was served and at most the credit left unused besides.
            var beforeLast = entry.Served - Price - 4 * perToken;
            Assert.InRange(entry.Voucher, beforeLast + GptAmount.Parse("0.01"), beforeLast + Price + GptAmount.Parse("0.01"));
            redeemable = entry.Voucher;
        }

        // Redeemed on shutdown: the latest voucher, 70% to the host and 30% to the owner.
        Assert.Equal(hostBefore + redeemable * 7 / 10, await token.BalanceOfAsync(Dev(2)));
        Assert.Equal(ownerBefore + redeemable * 3 / 10, await token.BalanceOfAsync(Dev(0)));
    }

    [Fact]
    public async Task HostKilledMidRun_EveryAnsweredCallIsRedeemedAfterARestart_AndCallingGoesOn()
    {
        var home = Path.Combine(_network.Home, "child");
        var ledger = Path.Combine(home, "vouchers.log");
        Assert.Equal(0, (await Run("pay", "deposit", Dev(2), "5", "--key", "dev1")).ExitCode);
        var tally = new PaymentTally();
        var answered = 0;

        await using (var first = await HostChild.StartAsync(_tree.Root, _network.DeploymentPath, home, _hostKeyFile, ledger))
        {
            await using var client = ModulusClient.Connect(first.Address, new ModulusClientOptions { Payment = new ModulusPaymentOptions(Signer(1), "0.001") { Tally = tally } });
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 4).Select(async _ =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await client.CallAsync("paid.echo", "x");
                        if (Interlocked.Increment(ref answered) == 200)
                        {
                            first.Kill(); // SIGKILL with calls in flight
                        }
                    }
                    catch (ModulusException)
                    {
                        stop.Cancel();
                    }
                }
            }).ToArray();
            await Task.WhenAll(workers);
        }

        var lost = tally.Uncertain.Values.Aggregate(BigInteger.Zero, (a, b) => a + b);
        await using (var second = await HostChild.StartAsync(_tree.Root, _network.DeploymentPath, home, _hostKeyFile, ledger))
        {
            await using var client = ModulusClient.Connect(second.Address, new ModulusClientOptions { Payment = new ModulusPaymentOptions(Signer(1), "0.001") { Tally = tally } });
            for (var i = 0; i < 50; i++)
            {
                await client.CallAsync("paid.echo", "y");
                answered++;
            }

            second.Kill();
        }

        var redeem = await Run("redeem", "--ledger", ledger, "--host-key", _hostKeyFile);
        Assert.True(redeem.ExitCode == 0, redeem.ToString());
        var escrow = EscrowPayments.For(new Web3(new Account(AnvilNode.DevPrivateKeys[2], 31337), _network.Anvil.RpcUrl), _network.Deployment);
        var redeemed = await escrow.RedeemedAsync(Dev(1), "paid.echo");
        var entry = VoucherLedger.ReadOnly(ledger).Find(Dev(1), "paid.echo")!;
        // Every answered call is paid for; at most the calls whose answers the kill lost besides.
        Assert.True(redeemed >= answered * Price, $"redeemed {redeemed}, answered {answered} calls");
        Assert.True(redeemed <= answered * Price + lost, $"redeemed {redeemed}, answered {answered} calls, {lost} wei of calls lost in flight");
        Assert.Equal(entry.Served, redeemed);
    }

    [Fact]
    public async Task PythonCaller_PaysWithVouchers_TheHostAccepts_PaysForALostAnswer_MetersStreams_AndRefusesAPriceAboveItsMaximum()
    {
        var ledger = Path.Combine(_network.Home, "python-ledger.log");
        Assert.Equal(0, (await Run("pay", "deposit", Dev(2), "1", "--key", "dev1")).ExitCode);
        await using var host = await StartHostAsync(ledger);
        var tcp = host.Addresses.Single(a => a.StartsWith("tcp", StringComparison.Ordinal));
        const string script = """
            import os, modulus
            from modulus.client import connect
            url, key = os.environ["URL"], os.environ["KEY"]
            with connect(url, key=key, max_price="0.001") as client:
                for i in range(5):
                    assert client.call("paid.echo", str(i)) == str(i)
                assert client.call("free.echo", "free") == "free"
                # An answer lost after the host served (and charged) the call: the next voucher is
                # one call short, the host says so, and the caller pays for the lost call and goes on.
                real_call = client._transport.call
                def served_then_lost(*a):
                    real_call(*a)
                    raise modulus.Unavailable("the connection broke")
                client._transport.call = served_then_lost
                try:
                    client.call("paid.echo", "lost")
                    raise SystemExit("a lost answer was not an error")
                except modulus.Unavailable:
                    pass
                client._transport.call = real_call
                assert sum(client.uncertain.values()) == 10**15, client.uncertain
                assert client.call("paid.echo", "after") == "after"
                assert sum(client.uncertain.values()) == 0, client.uncertain
                assert list(client.stream("paid.echo", "streamed")) == ["streamed"]
            with connect(url, key=key, max_price="0.01") as metered:
                # 0.001 per call plus 0.0005 a token; a maximum of 0.01 is each stream's credit (18 tokens).
                assert list(metered.stream("paid.tokens", 10)) == [f"t{i}" for i in range(10)]
                got = []
                try:
                    for item in metered.stream("paid.tokens", 30):
                        got.append(item)
                    raise SystemExit("a stream beyond its credit was not stopped")
                except modulus.ModulusError as ex:
                    assert ex.code == modulus.StatusCode.RESOURCE_EXHAUSTED and "stopped after 18 tokens" in str(ex), ex
                assert len(got) == 18, got
                assert len(metered.call("paid.tokens", 5)) == 5
                paid = [v for (h, m), v in metered.paid.items() if m == "paid.tokens"]
                assert paid == [3 * 10**15 + 33 * 5 * 10**14], metered.paid
            with connect(url, key=key, max_price="0.001") as short:
                try:
                    short.stream("paid.tokens", 1).__next__()
                    raise SystemExit("a maximum that pays for no token was signed")
                except modulus.ModulusError as ex:
                    assert "pays for no token" in str(ex), ex
            with connect(url, key=key, max_price="0.0009") as frugal:
                try:
                    frugal.call("paid.echo", "x")
                    raise SystemExit("a price above the maximum was paid")
                except modulus.ModulusError as ex:
                    assert "above this caller's maximum" in str(ex), ex
            print("ok")
            """;
        var info = new ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["PYTHONPATH"] = Path.Combine(RepositoryPaths.Root, "module-sdk", "python");
        info.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        info.Environment["URL"] = tcp;
        info.Environment["KEY"] = AnvilNode.DevPrivateKeys[1];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr + await stdout);

        var entry = host.Server.Services.GetRequiredService<EscrowPaymentGate>().Ledger.Find(Dev(1), "paid.echo")!;
        // Five, the lost one, the one after it and a stream: each served once and paid once.
        Assert.Equal((8L, 8 * Price), (entry.Calls, entry.Served));
        var metered = host.Server.Services.GetRequiredService<EscrowPaymentGate>().Ledger.Find(Dev(1), "paid.tokens")!;
        Assert.Equal((3L, 3 * Price + 33 * GptAmount.Parse("0.0005")), (metered.Calls, metered.Served));
    }

    [Fact]
    public async Task HostileVouchers_OverRawTcp_AreEachRefusedWithWhy_NothingIsCharged_AndTheConnectionGoesOn()
    {
        Assert.Equal(0, (await Run("pay", "deposit", Dev(2), "1", "--key", "dev1")).ExitCode);
        var host = await StartHostAsync(Path.Combine(_network.Home, "hostile-ledger.log"));
        await using (host)
        {
            var tcp = new Uri(host.Addresses.Single(a => a.StartsWith("tcp", StringComparison.Ordinal)));
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, tcp.Port);
            var digest = new VoucherDigest(31337, _network.Deployment.Escrow!);
            var uint256Max = BigInteger.Pow(2, 256) - 1;
            Protocol.V1.Voucher Signed(BigInteger cumulative, BigInteger? credit = null)
            {
                var v = digest.Sign(Signer(1), Dev(1), Dev(2), "paid.tokens", cumulative);
                if (credit is { } c)
                {
                    v.Credit = Google.Protobuf.ByteString.CopyFrom(VoucherDigest.AmountBytes(c));
                }

                return v;
            }

            // Each is a stream's voucher as a client makes it (a credit of 0.01 $GPT), then spoilt one way.
            var credit = GptAmount.Parse("0.01");
            var oversized = Signed(credit, credit);
            oversized.Credit = Google.Protobuf.ByteString.CopyFrom(new byte[33]);
            var longAmount = Signed(credit, credit);
            longAmount.CumulativeAmount = Google.Protobuf.ByteString.CopyFrom(new byte[33]);
            var shortSignature = Signed(credit, credit);
            shortSignature.Signature = Google.Protobuf.ByteString.CopyFrom(new byte[10]);
            var notAnAddress = Signed(credit, credit);
            notAnAddress.Payer = "0xnot-an-address";
            var cases = new (string What, Protocol.V1.Voucher Voucher, StatusCode Code, string Says)[]
            {
                ("a credit of 33 bytes", oversized, StatusCode.InvalidArgument, "the voucher's credit is 33 bytes; a uint256 is at most 32"),
                ("a cumulative amount of 33 bytes", longAmount, StatusCode.InvalidArgument, "the voucher's cumulative_amount is 33 bytes"),
                ("a credit that pays the price and no token", Signed(credit, Price), StatusCode.PermissionDenied, "pays for no token"),
                ("a credit and voucher of 2^256 - 1", Signed(uint256Max, uint256Max), StatusCode.PermissionDenied, "escrow for this host holds 1 $GPT not thawing"),
                ("a signature of 10 bytes", shortSignature, StatusCode.Unauthenticated, "the signature is 10 bytes"),
                ("a payer that is not an address", notAnAddress, StatusCode.InvalidArgument, "is not an address"),
            };

            ulong id = 100;
            foreach (var (what, voucher, code, says) in cases)
            {
                var request = new Protocol.V1.CallRequest { Module = "paid.tokens", Endpoint = "forward", Args = { new Protocol.V1.Value { IntValue = 3 } }, Stream = true, Voucher = voucher };
                await socket.SendAsync(RawTcp.Frame(new Protocol.V1.Envelope { Id = ++id, CallRequest = request }));
                var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(20));
                Assert.Equal(id, answer.Id);
                Assert.True(answer.CallResponse.Error is not null, $"{what}: answered {answer}");
                Assert.True((int)code == answer.CallResponse.Error.Code, $"{what}: {(StatusCode)answer.CallResponse.Error.Code} {answer.CallResponse.Error.Message}");
                Assert.Contains(says, answer.CallResponse.Error.Message, StringComparison.Ordinal);
            }

            // Nothing refused was recorded; the same connection then streams a paid call that is.
            var gate = host.Server.Services.GetRequiredService<EscrowPaymentGate>();
            Assert.Null(gate.Ledger.Find(Dev(1), "paid.tokens"));
            var good = new Protocol.V1.CallRequest { Module = "paid.tokens", Endpoint = "forward", Args = { new Protocol.V1.Value { IntValue = 3 } }, Stream = true, Voucher = Signed(credit, credit) };
            await socket.SendAsync(RawTcp.Frame(new Protocol.V1.Envelope { Id = ++id, CallRequest = good }));
            var items = new List<string>();
            while (true)
            {
                var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(20));
                Assert.True(answer.CallResponse.Error is null, answer.ToString());
                if (answer.CallResponse.End is not null)
                {
                    break;
                }

                items.Add(answer.CallResponse.Item.StringValue);
            }

            Assert.Equal(["t0", "t1", "t2"], items);
            var entry = gate.Ledger.Find(Dev(1), "paid.tokens")!;
            Assert.Equal((1L, Price + 3 * GptAmount.Parse("0.0005")), (entry.Calls, entry.Served));

            // A flood of refused vouchers (here replays of one below what was served) from this
            // address: past the host's budget of refusals (20 a second by default) they are refused
            // unchecked, saying why and what the last refusal said, and the connection goes on.
            var stale = new Protocol.V1.CallRequest { Module = "paid.tokens", Endpoint = "forward", Args = { new Protocol.V1.Value { IntValue = 3 } }, Stream = true, Voucher = Signed(credit, credit) };
            var codes = new List<StatusCode>();
            string? exhausted = null;
            for (var i = 0; i < 40; i++)
            {
                await socket.SendAsync(RawTcp.Frame(new Protocol.V1.Envelope { Id = ++id, CallRequest = stale }));
                var answer = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(20));
                codes.Add((StatusCode)answer.CallResponse.Error.Code);
                if (codes[^1] == StatusCode.ResourceExhausted)
                {
                    exhausted ??= answer.CallResponse.Error.Message;
                }
            }

            Assert.Equal(StatusCode.PermissionDenied, codes[0]);
            Assert.All(codes, c => Assert.True(c is StatusCode.PermissionDenied or StatusCode.ResourceExhausted, string.Join(", ", codes)));
            Assert.NotNull(exhausted);
            Assert.Contains("address 127.0.0.1 sent more than 20 refused vouchers a second (Modulus:Payments:MaxRefusedVouchersPerSecond)", exhausted);
            Assert.Contains(PaymentMessages.NotCovered, exhausted);

            // A token grows back within a twentieth of a second: a good voucher is then served again.
            var next = new Protocol.V1.CallRequest { Module = "paid.tokens", Endpoint = "forward", Args = { new Protocol.V1.Value { IntValue = 1 } }, Stream = true, Voucher = Signed(2 * credit, credit) };
            Protocol.V1.Envelope first = null!;
            for (var attempt = 0; attempt < 50; attempt++)
            {
                await Task.Delay(100);
                await socket.SendAsync(RawTcp.Frame(new Protocol.V1.Envelope { Id = ++id, CallRequest = next }));
                first = await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(20));
                if (first.CallResponse.Error is null)
                {
                    break;
                }

                Assert.Equal((int)StatusCode.ResourceExhausted, first.CallResponse.Error.Code);
            }

            Assert.Equal("t0", first.CallResponse.Item?.StringValue);
            Assert.NotNull((await RawTcp.ReadEnvelopeAsync(socket, TimeSpan.FromSeconds(20))).CallResponse.End);
            Assert.Equal(2L, gate.Ledger.Find(Dev(1), "paid.tokens")!.Calls);
        }
    }

    private async Task<TestHost> StartHostAsync(string ledger) => await TestHost.StartAsync(
        _tree,
        configure: options => options.Identity.KeyFile = _hostKeyFile,
        services: services =>
        {
            services.AddEscrowPayments(_network.Deployment, _network.Anvil.RpcUrl, _ => Convert.FromHexString(AnvilNode.DevPrivateKeys[2][2..]));
            services.Configure<PaymentOptions>(o =>
            {
                o.LedgerFile = ledger;
                o.RedeemThreshold = "1000";
            });
        });

    private Task<CliRun> Run(params string[] args) =>
        _network.RunAsync([.. args, .. args[0] is "pay" or "redeem" or "claim" ? new[] { "--deployment", _network.DeploymentPath } : []]);

    /// <summary>`modulus serve` as its own process, so that it can be killed with SIGKILL mid-call.</summary>
    private sealed class HostChild(CliChild child) : IAsyncDisposable
    {
        public string Address { get; } = child.ReadyLine.Split(' ').Single(p => p.StartsWith("tcp://", StringComparison.Ordinal));

        public static async Task<HostChild> StartAsync(string tree, string deployment, string home, string keyFile, string ledger) => new(await CliChild.StartAsync(
            ["serve", tree, "--deployment", deployment, "--no-grpc", "--no-udp", "--no-http", "--tcp-port", "0", "--no-watch"],
            "Serving ",
            TimeSpan.FromSeconds(120),
            new Dictionary<string, string>
            {
                ["MODULUS_HOME"] = home,
                ["Modulus__Identity__KeyFile"] = keyFile,
                ["Modulus__Payments__LedgerFile"] = ledger,
                ["Modulus__Payments__RedeemThreshold"] = "1000",
            }));

        public void Kill() => child.Kill();

        public ValueTask DisposeAsync() => child.DisposeAsync();
    }
}
