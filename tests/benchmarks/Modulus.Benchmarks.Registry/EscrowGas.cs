using System.Globalization;
using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Benchmarks.Registry;

/// <summary>
/// Gas of paid calls: what a payer pays to deposit, authorize a signer and withdraw, what a host
/// pays to redeem batches of vouchers, and what a staker pays to claim. Vouchers come from distinct
/// payers (as a host's batch does), for one module with a counting stake, so every redemption pays
/// all three parts of the split (owner, host, stakers).
/// </summary>
internal static class EscrowGas
{
    private static readonly BigInteger Token = BigInteger.Pow(10, 18);

    public static async Task<List<(string Operation, BigInteger Gas, string Note)>> MeasureAsync(string rpcUrl, RegistryDeployment deployment)
    {
        var rows = new List<(string, BigInteger, string)>();
        var ownerWeb3 = Web3For(AnvilNode.DevPrivateKeys[0], rpcUrl);
        var owner = new RegistryContracts(ownerWeb3, deployment);
        var host = new EscrowContracts(Web3For(AnvilNode.DevPrivateKeys[2], rpcUrl), deployment);
        var stakerRegistry = new RegistryContracts(Web3For(AnvilNode.DevPrivateKeys[3], rpcUrl), deployment);
        var staker = new EscrowContracts(stakerRegistry.Web3, deployment);
        const string Module = "text.embed";
        await owner.ClaimNameAsync(Module);
        await owner.MintAsync(stakerRegistry.Account, 1_000 * Token);
        await stakerRegistry.StakeAsync(Module, 100 * Token);
        rows.Add(("escrow: set shares", Gas(await new EscrowContracts(ownerWeb3, deployment).SetSharesAsync(Module, 6_000, 2_000)), "owner 20%, host 60%, stakers 20%, from the thaw period on (the rows below use the default 70/10/20)"));

        // 112 payers with their own keys: one for the single-voucher rows, 1 + 10 + 100 for the batches.
        var payers = new List<(EscrowContracts Contracts, EthECKey Key)>();
        for (var i = 0; i < 112; i++)
        {
            var key = EthECKey.GenerateKey();
            await ownerWeb3.Client.SendRequestAsync(new RpcRequest(i, "anvil_setBalance", key.GetPublicAddress(), new HexBigInteger(BigInteger.Pow(10, 20)).HexValue));
            await owner.MintAsync(key.GetPublicAddress(), 1_000 * Token);
            payers.Add((new EscrowContracts(Web3For(key.GetPrivateKey(), rpcUrl), deployment), key));
        }

        var (first, firstKey) = payers[0];
        var approveAndDeposit = await first.DepositAsync(host.Account, 100 * Token);
        rows.Add(("escrow: deposit (first for this host)", Gas(approveAndDeposit), "100 $GPT, after an ERC-20 approve (not counted)"));
        rows.Add(("escrow: deposit (top-up)", Gas(await first.DepositAsync(host.Account, 100 * Token)), "adds to an existing deposit"));
        var hot = EthECKey.GenerateKey();
        rows.Add(("escrow: authorize signer", Gas(await first.AuthorizeSignerAsync(hot.GetPublicAddress())), "a hot key that signs vouchers for the payer"));

        // One voucher, first and again. Price 0.001 $GPT per call; a voucher covers 1,000 calls.
        var price = Token / 1_000;
        var one = await host.RedeemAsync([first.SignVoucher(hot, first.Account, host.Account, Module, 1_000 * price)]);
        rows.Add(("escrow: redeem 1 voucher (first for payer, host, module)", Gas(one), "signed by the hot key; pays owner, host and stakers"));
        var again = await host.RedeemAsync([first.SignVoucher(firstKey, first.Account, host.Account, Module, 2_000 * price)]);
        rows.Add(("escrow: redeem 1 voucher (raises an earlier one)", Gas(again), "the usual case: the host redeems the latest cumulative voucher"));
        rows.Add(("escrow: gas per call served, 1,000 calls in one voucher (first)", Gas(one) / 1_000, $"{Gas(one).ToString("N0", CultureInfo.InvariantCulture)} / 1,000: cumulative vouchers make a redemption's cost independent of the calls it covers"));
        rows.Add(("escrow: gas per call served, 1,000 calls in one voucher (again)", Gas(again) / 1_000, $"{Gas(again).ToString("N0", CultureInfo.InvariantCulture)} / 1,000"));

        var batchPayers = payers.Skip(1).ToList();
        foreach (var (contracts, _) in batchPayers)
        {
            await contracts.DepositAsync(host.Account, 10 * Token);
        }

        var offset = 0;
        foreach (var size in new[] { 1, 10, 100 })
        {
            // First redemption for each payer in the batch, then a second batch raising each voucher.
            var group = batchPayers.Skip(offset).Take(size).ToList();
            offset += size;
            if (group.Count < size)
            {
                break;
            }

            var firstBatch = await host.RedeemAsync([.. group.Select(p => p.Contracts.SignVoucher(p.Key, p.Contracts.Account, host.Account, Module, 100 * price))]);
            var secondBatch = await host.RedeemAsync([.. group.Select(p => p.Contracts.SignVoucher(p.Key, p.Contracts.Account, host.Account, Module, 200 * price))]);
            if (size > 1)
            {
                rows.Add(($"escrow: redeem {size} vouchers (first for each payer)", Gas(firstBatch), $"{(Gas(firstBatch) / size).ToString("N0", CultureInfo.InvariantCulture)} per voucher; {size} payers, one transaction"));
                rows.Add(($"escrow: redeem {size} vouchers (each raises an earlier one)", Gas(secondBatch), $"{(Gas(secondBatch) / size).ToString("N0", CultureInfo.InvariantCulture)} per voucher"));
            }
        }

        // The same on a module nobody stakes on: the stakers' share goes to the owner, no distribution.
        const string Unstaked = "text.unstaked";
        await owner.ClaimNameAsync(Unstaked);
        await host.RedeemAsync([first.SignVoucher(firstKey, first.Account, host.Account, Unstaked, 1_000 * price)]);
        var unstaked = await host.RedeemAsync([first.SignVoucher(firstKey, first.Account, host.Account, Unstaked, 2_000 * price)]);
        rows.Add(("escrow: redeem 1 voucher, module without stake (raises an earlier one)", Gas(unstaked), $"{(Gas(unstaked) / 1_000).ToString("N0", CultureInfo.InvariantCulture)} gas per call at 1,000 calls; owner and host paid, no distribution"));

        rows.Add(("escrow: revoke signer", Gas(await first.RevokeSignerAsync(hot.GetPublicAddress())), "valid until the thaw period ends"));
        rows.Add(("escrow: thaw", Gas(await first.ThawAsync(host.Account, 50 * Token)), "starts a withdrawal of 50 $GPT"));
        var thaw = await first.ThawPeriodAsync();
        await ownerWeb3.Client.SendRequestAsync(new RpcRequest(1_000, "evm_increaseTime", new HexBigInteger(thaw + 1)));
        await ownerWeb3.Client.SendRequestAsync(new RpcRequest(1_001, "evm_mine"));
        rows.Add(("escrow: withdraw (after the thaw)", Gas(await first.WithdrawAsync(host.Account)), $"50 $GPT after {thaw} s (evm_increaseTime)"));
        rows.Add(("staking: claim rewards", Gas(await staker.ClaimRewardsAsync(Module)), "the stakers' share of every redemption above"));
        return rows;
    }

    private static BigInteger Gas(TransactionReceipt receipt) => receipt.GasUsed.Value;

    private static Web3 Web3For(string key, string rpcUrl)
    {
        var web3 = new Web3(new Account(key, 31337), rpcUrl);
        web3.TransactionManager.UseLegacyAsDefault = true;
        return web3;
    }
}
