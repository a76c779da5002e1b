using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Modulus.Registry.Chain;

/// <summary>How every contract binding sends a transaction and reads a view: one place for the "mined but reverted" rule.</summary>
internal static class ContractCalls
{
    // A quarter more than the estimate, and at least one fresh storage write (20,000 gas) more.
    private const int GasMarginDivisor = 4;
    private const int GasMarginFloor = 20_000;

    /// <summary>
    /// Sends a transaction and waits for its receipt; a mined transaction that reverted is an error.
    /// The gas limit is the node's estimate plus a margin: the estimate is exact for the state and
    /// timestamp it was made against, and the block that mines the transaction can differ (a storage
    /// slot written with a new value costs more than one rewritten with the same value; a later
    /// timestamp changes what <c>block.timestamp + period</c> writes), so an exact limit runs out of gas.
    /// Unused gas is not charged.
    /// </summary>
    public static async Task<TransactionReceipt> SendAsync<TMessage>(this IWeb3 web3, string contract, TMessage message, CancellationToken cancellationToken)
        where TMessage : FunctionMessage, new()
    {
        var handler = web3.Eth.GetContractTransactionHandler<TMessage>();
        if (message.Gas is null)
        {
            var estimate = await handler.EstimateGasAsync(contract, message).ConfigureAwait(false);
            message.Gas = estimate.Value + estimate.Value / GasMarginDivisor + GasMarginFloor;
        }

        var receipt = await handler.SendRequestAndWaitForReceiptAsync(contract, message, cancellationToken).ConfigureAwait(false);
        return receipt.Status?.Value == 0
            ? throw new InvalidOperationException($"{typeof(TMessage).Name} was mined but reverted (transaction {receipt.TransactionHash})")
            : receipt;
    }

    /// <summary>Calls a view function.</summary>
    public static Task<TOut> QueryAsync<TMessage, TOut>(this IWeb3 web3, string contract, TMessage message)
        where TMessage : FunctionMessage, new() =>
        web3.Eth.GetContractQueryHandler<TMessage>().QueryAsync<TOut>(contract, message);
}
