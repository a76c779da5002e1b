using System.Numerics;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;

namespace Modulus.Registry.Contracts;

internal sealed class GptTokenDeployment() : ContractDeploymentMessage(ContractArtifacts.GptToken)
{
    [Parameter("address", "admin", 1)]
    public string Admin { get; set; } = string.Empty;
}

[Function("mint")]
internal sealed class MintFunction : FunctionMessage
{
    [Parameter("address", "to", 1)]
    public string To { get; set; } = string.Empty;

    [Parameter("uint256", "amount", 2)]
    public BigInteger Amount { get; set; }
}

[Function("approve", "bool")]
internal sealed class ApproveFunction : FunctionMessage
{
    [Parameter("address", "spender", 1)]
    public string Spender { get; set; } = string.Empty;

    [Parameter("uint256", "value", 2)]
    public BigInteger Value { get; set; }
}

[Function("transfer", "bool")]
internal sealed class TransferFunction : FunctionMessage
{
    [Parameter("address", "to", 1)]
    public string To { get; set; } = string.Empty;

    [Parameter("uint256", "value", 2)]
    public BigInteger Value { get; set; }
}

[Function("balanceOf", "uint256")]
internal sealed class BalanceOfFunction : FunctionMessage
{
    [Parameter("address", "account", 1)]
    public string Account { get; set; } = string.Empty;
}

[Error("AccessControlUnauthorizedAccount")]
internal sealed class AccessControlUnauthorizedAccountError
{
    [Parameter("address", "account", 1)]
    public string Account { get; set; } = string.Empty;

    [Parameter("bytes32", "neededRole", 2)]
    public byte[] NeededRole { get; set; } = [];
}

[Error("ERC20InsufficientBalance")]
internal sealed class Erc20InsufficientBalanceError
{
    [Parameter("address", "sender", 1)]
    public string Sender { get; set; } = string.Empty;

    [Parameter("uint256", "balance", 2)]
    public BigInteger Balance { get; set; }

    [Parameter("uint256", "needed", 3)]
    public BigInteger Needed { get; set; }
}
