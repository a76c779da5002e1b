using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Benchmarks.Registry;

/// <summary>
/// Gas used by each registry operation, from the receipts of real transactions on a fresh Anvil:
/// what a publisher, a host or a staker pays, in gas (the price in ETH is the chain's business).
/// </summary>
internal static class GasReport
{
    private static readonly BigInteger Token = BigInteger.Pow(10, 18);

    public static async Task<int> RunAsync(string[] args)
    {
        var json = args.Contains("--json");
        var rows = new List<Row>();
        string anvilVersion;
        BigInteger cooldown;
        await using (var anvil = await AnvilNode.StartAsync(new AnvilOptions()))
        {
            var web3 = new Web3(new Account(AnvilNode.DevPrivateKeys[0], 31337), anvil.RpcUrl);
            web3.TransactionManager.UseLegacyAsDefault = true;
            anvilVersion = await web3.Client.SendRequestAsync<string>(new RpcRequest(1, "web3_clientVersion"));

            var deployment = await RegistryDeployer.DeployAsync(web3, TimeSpan.FromSeconds(60));
            // Anvil mines each transaction in its own block: the four deployments are the first
            // four blocks from the deployment block, in the deployer's order.
            string[] deployed = ["GPTToken", "ModuleRegistry", "ModuleStaking", "CallEscrow"];
            string[] addresses = [deployment.Token, deployment.Registry, deployment.Staking, deployment.Escrow!];
            for (var i = 0; i < deployed.Length; i++)
            {
                if (await ReceiptInBlockAsync(web3, deployment.Block + i) is { } receipt
                    && string.Equals(receipt.ContractAddress, addresses[i], StringComparison.OrdinalIgnoreCase))
                {
                    rows.Add(new Row($"deploy {deployed[i]}", Gas(receipt), "contract creation, once per chain"));
                }
            }

            var contracts = new RegistryContracts(web3, deployment);
            var me = contracts.Account;
            var other = new Nethereum.Signer.EthECKey(AnvilNode.DevPrivateKeys[1]).GetPublicAddress();
            rows.Add(new Row("mint $GPT", Gas(await contracts.MintAsync(me, 10_000 * Token)), "dev chain only: the token's minter funds an account"));

            const string Name = "text.tokenize";
            var (commit, claim) = await contracts.ClaimNameAsync(Name);
            rows.Add(new Row("claim name: commit", Gas(commit), "commitName(commitmentOf(name, claimant, salt))"));
            rows.Add(new Row("claim name: reveal", Gas(claim), $"claimName(\"{Name}\", salt); varies by a few gas with the random salt's zero bytes"));
            rows.Add(new Row("claim name: total", Gas(commit) + Gas(claim), "commit + reveal"));

            var hash1 = System.Security.Cryptography.SHA256.HashData("package 1.0.0"u8);
            var hash2 = System.Security.Cryptography.SHA256.HashData("package 1.1.0"u8);
            rows.Add(new Row("publish first version", Gas(await contracts.PublishAsync(Name, "1.0.0", hash1, "sha256:" + Convert.ToHexStringLower(hash1))), "1.0.0, package URI of 71 bytes"));
            rows.Add(new Row("publish second version", Gas(await contracts.PublishAsync(Name, "1.1.0", hash2, "sha256:" + Convert.ToHexStringLower(hash2))), "1.1.0, same URI length"));

            rows.Add(new Row("announce host", Gas(await contracts.AnnounceAsync(Name, "1.1.0", "grpc://203.0.113.7:7050")), "endpoint grpc://203.0.113.7:7050"));
            rows.Add(new Row("withdraw host", Gas(await contracts.WithdrawHostAsync(Name, "1.1.0")), "storage cleared: part of the cost is refunded"));
            rows.Add(new Row("deprecate version", Gas(await contracts.DeprecateAsync(Name, "1.0.0", "superseded by 1.1.0")), "reason \"superseded by 1.1.0\", kept in the event only"));

            var stake = await contracts.StakeAsync(Name, 100 * Token);
            var approve = await ReceiptInBlockAsync(web3, (long)stake.BlockNumber.Value - 1);
            if (approve is not null)
            {
                rows.Add(new Row("stake (first on module): approve", Gas(approve), "ERC-20 allowance for the staking contract"));
            }

            rows.Add(new Row("stake (first on module): stake", Gas(stake), "100 $GPT; first staker on the module"));
            if (approve is not null)
            {
                rows.Add(new Row("stake (first on module): total", Gas(approve) + Gas(stake), "approve + stake"));
            }

            var stake2 = await contracts.StakeAsync(Name, 50 * Token);
            var approve2 = await ReceiptInBlockAsync(web3, (long)stake2.BlockNumber.Value - 1);
            rows.Add(new Row("stake (second, same staker): stake", Gas(stake2), "50 $GPT more; settles the first stake (now a block old)"));
            if (approve2 is not null)
            {
                rows.Add(new Row("stake (second, same staker): total", Gas(approve2) + Gas(stake2), "approve + stake"));
            }

            rows.Add(new Row("vote (first)", Gas(await contracts.VoteAsync(Name, VoteDirection.Up)), "up, weight 150 $GPT (settles the second stake first)"));
            rows.Add(new Row("change vote", Gas(await contracts.VoteAsync(Name, VoteDirection.Down)), "up -> down, weight 150 $GPT"));
            rows.Add(new Row("request unstake (live vote)", Gas(await contracts.RequestUnstakeAsync(Name, 120 * Token)), "120 of 150 $GPT; the down vote drops to 30 (a second Voted event)"));

            cooldown = await web3.Eth.GetContractQueryHandler<CooldownFunction>().QueryAsync<BigInteger>(deployment.Staking, new CooldownFunction());
            await web3.Client.SendRequestAsync(new RpcRequest(2, "evm_increaseTime", new HexBigInteger(cooldown + 1)));
            await web3.Client.SendRequestAsync(new RpcRequest(3, "evm_mine"));
            rows.Add(new Row("withdraw stake (after cooldown)", Gas(await contracts.WithdrawStakeAsync(Name)), $"120 $GPT paid out after {cooldown} s (evm_increaseTime)"));

            rows.Add(new Row("transfer name", Gas(await contracts.TransferNameAsync(Name, other)), "to another account"));

            rows.AddRange((await EscrowGas.MeasureAsync(anvil.RpcUrl, deployment)).Select(r => new Row(r.Operation, r.Gas, r.Note)));
        }

        var solc = SolcVersion();
        if (json)
        {
            var document = new JsonObject
            {
                ["command"] = Machine.CommandLine(args),
                ["machine"] = Machine.Describe(),
                ["anvil"] = anvilVersion,
                ["solc"] = solc,
                ["unstakeCooldownSeconds"] = (long)cooldown,
                ["operations"] = new JsonArray([.. rows.Select(r => (JsonNode)new JsonObject { ["operation"] = r.Operation, ["gas"] = (long)r.Gas, ["note"] = r.Note })]),
            };
            Console.WriteLine(document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        Console.WriteLine($"command: {Machine.CommandLine(args)}");
        Console.WriteLine($"machine: {Machine.Describe()}");
        Console.WriteLine($"chain: {anvilVersion} (chain id 31337, legacy transactions); contracts compiled by solc {solc ?? "(unknown)"}");
        Console.WriteLine();
        Console.WriteLine("| OPERATION | GAS | NOTE |");
        Console.WriteLine("|---|---:|---|");
        foreach (var row in rows)
        {
            Console.WriteLine($"| {row.Operation} | {row.Gas.ToString("N0", CultureInfo.InvariantCulture)} | {row.Note} |");
        }

        return 0;
    }

    private static BigInteger Gas(TransactionReceipt receipt) => receipt.GasUsed.Value;

    /// <summary>The receipt of the only transaction of a block (Anvil mines one per block); null when the block has none or several.</summary>
    private static async Task<TransactionReceipt?> ReceiptInBlockAsync(IWeb3 web3, BigInteger block)
    {
        var found = await web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(new HexBigInteger(block));
        return found?.TransactionHashes is [var hash]
            ? await web3.Eth.Transactions.GetTransactionReceipt.SendRequestAsync(hash)
            : null;
    }

    /// <summary>The compiler pinned in registry/contracts/package.json.</summary>
    private static string? SolcVersion()
    {
        if (Machine.FindAbove(Path.Combine("registry", "contracts", "package.json")) is not { } path)
        {
            return null;
        }

        return JsonNode.Parse(File.ReadAllText(path))?["devDependencies"]?["solc"]?.GetValue<string>();
    }

    private sealed record Row(string Operation, BigInteger Gas, string Note);

    [Function("cooldown", "uint256")]
    private sealed class CooldownFunction : FunctionMessage;
}
