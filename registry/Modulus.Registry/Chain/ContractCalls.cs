using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;

namespace Modulus.Registry.Chain;

/// <summary>How every contract binding sends a transaction and reads a view: one place for the "mined but reverted" rule.</summary>
internal static class ContractCalls
{
    /// <summary>Sends a transaction and waits for its receipt; a mined transaction that reverted is an error.</summary>
    public static async Task<TransactionReceipt> SendAsync<TMessage>(this IWeb3 web3, string contract, TMessage message, CancellationToken cancellationToken)
        where TMessage : FunctionMessage, new()
    {
        var receipt = await web3.Eth.GetContractTransactionHandler<TMessage>().SendRequestAndWaitForReceiptAsync(contract, message, cancellationToken).ConfigureAwait(false);
        return receipt.Status?.Value == 0
            ? throw new InvalidOperationException($"{typeof(TMessage).Name} was mined but reverted (transaction {receipt.TransactionHash})")
            : receipt;
    }

    /// <summary>Calls a view function.</summary>
    public static Task<TOut> QueryAsync<TMessage, TOut>(this IWeb3 web3, string contract, TMessage message)
        where TMessage : FunctionMessage, new() =>
        web3.Eth.GetContractQueryHandler<TMessage>().QueryAsync<TOut>(contract, message);
}
