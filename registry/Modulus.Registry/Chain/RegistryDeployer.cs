using System.Numerics;
using System.Text;
using Modulus.Registry.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Util;
using Nethereum.Web3;

namespace Modulus.Registry.Chain;

/// <summary>Where the registry's contracts live on one chain.</summary>
/// <param name="ChainId">The chain's id.</param>
/// <param name="Token">The $GPT token.</param>
/// <param name="Registry">The module registry.</param>
/// <param name="Staking">Staking and voting.</param>
/// <param name="Block">The block the first contract was deployed in: where an indexer starts.</param>
public sealed record RegistryDeployment(BigInteger ChainId, string Token, string Registry, string Staking, BigInteger Block)
{
    /// <summary>The call escrow (paid calls); null in a deployment made before it existed.</summary>
    public string? Escrow { get; init; }
}

/// <summary>Deploys the four contracts, wired to each other.</summary>
public static class RegistryDeployer
{
    /// <summary>The escrow's thaw period when none is given: one day, as on the development chain.</summary>
    public static readonly TimeSpan DefaultEscrowThaw = TimeSpan.FromDays(1);

    /// <summary>Deploys with the web3's account as the token's admin and minter, and the escrow's thaw period of <see cref="DefaultEscrowThaw"/>.</summary>
    public static Task<RegistryDeployment> DeployAsync(IWeb3 web3, TimeSpan unstakeCooldown, CancellationToken cancellationToken = default) =>
        DeployAsync(web3, unstakeCooldown, DefaultEscrowThaw, cancellationToken);

    /// <summary>
    /// Deploys with the web3's account as the token's admin and minter; <c>escrowThaw</c> is how long
    /// a payer's withdrawal and a signer's revocation wait in the escrow.
    /// </summary>
    public static async Task<RegistryDeployment> DeployAsync(IWeb3 web3, TimeSpan unstakeCooldown, TimeSpan escrowThaw, CancellationToken cancellationToken = default)
    {
        var admin = web3.TransactionManager.Account?.Address
            ?? throw new InvalidOperationException("Deploying needs a web3 with an account to sign with.");
        var token = await web3.Eth.GetContractDeploymentHandler<GptTokenDeployment>()
            .SendRequestAndWaitForReceiptAsync(new GptTokenDeployment { Admin = admin }, cancellationToken).ConfigureAwait(false);
        var registry = await web3.Eth.GetContractDeploymentHandler<ModuleRegistryDeployment>()
            .SendRequestAndWaitForReceiptAsync(new ModuleRegistryDeployment(), cancellationToken).ConfigureAwait(false);
        // The staking contract takes `credit` from the escrow alone and holds its address as an
        // immutable (no storage read per redemption), so it needs the address before the escrow
        // exists: the escrow is the deployer's next contract after it, at the address its nonce
        // gives. The escrow's constructor checks the binding (StakingForAnotherEscrow), and so
        // does this method, after the fact.
        var nonce = await web3.Eth.Transactions.GetTransactionCount.SendRequestAsync(admin, BlockParameter.CreatePending()).ConfigureAwait(false);
        var escrowAddress = ContractUtils.CalculateContractAddress(admin, nonce.Value + 1);
        var staking = await web3.Eth.GetContractDeploymentHandler<ModuleStakingDeployment>()
            .SendRequestAndWaitForReceiptAsync(
                new ModuleStakingDeployment { Token = token.ContractAddress, Registry = registry.ContractAddress, Cooldown = (BigInteger)unstakeCooldown.TotalSeconds, Escrow = escrowAddress },
                cancellationToken).ConfigureAwait(false);
        var escrow = await web3.Eth.GetContractDeploymentHandler<CallEscrowDeployment>()
            .SendRequestAndWaitForReceiptAsync(
                new CallEscrowDeployment { Token = token.ContractAddress, Registry = registry.ContractAddress, Staking = staking.ContractAddress, ThawPeriod = (BigInteger)escrowThaw.TotalSeconds },
                cancellationToken).ConfigureAwait(false);
        if (!string.Equals(escrow.ContractAddress, escrowAddress, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"The escrow was deployed at {escrow.ContractAddress}, not at {escrowAddress} where the staking contract expects it: another transaction from {admin} came between the two deployments.");
        }

        var chainId = await web3.Eth.ChainId.SendRequestAsync().ConfigureAwait(false);
        return new RegistryDeployment(chainId.Value, token.ContractAddress, registry.ContractAddress, staking.ContractAddress, token.BlockNumber.Value)
        {
            Escrow = escrow.ContractAddress,
        };
    }
}

/// <summary>How the contracts key a module: keccak256 of its name.</summary>
public static class ModuleId
{
    public static byte[] Of(string name) => Sha3Keccack.Current.CalculateHash(Encoding.UTF8.GetBytes(name));
}
