using System.Text;
using System.Text.Json;
using Modulus.Registry.Chain;
using Nethereum.Contracts;
using Nethereum.Util;

namespace Modulus.Registry.Tests;

/// <summary>Every refusal of the escrow and of the staking rewards reads as a sentence, not as raw revert data.</summary>
public sealed class EscrowErrorSentenceTests
{
    /// <summary>OpenZeppelin's, that the escrow never lets surface: tryRecover returns instead of
    /// reverting, the domain strings are short constants, the token is $GPT, nothing re-enters.</summary>
    private static readonly HashSet<string> Internal = ["ECDSAInvalidSignature", "ECDSAInvalidSignatureLength", "ECDSAInvalidSignatureS", "InvalidShortString", "StringTooLong", "SafeERC20FailedOperation", "ReentrancyGuardReentrantCall"];

    public static TheoryData<string, string> Errors()
    {
        var data = new TheoryData<string, string>();
        foreach (var (contract, only) in new[] { ("CallEscrow", (string[]?)null), ("ModuleStaking", ["NoCountingStake", "NothingToClaim", "NotEscrow"]) })
        {
            using var stream = typeof(ContractErrors).Assembly.GetManifestResourceStream($"artifacts/{contract}.json")!;
            using var artifact = JsonDocument.Parse(stream);
            foreach (var error in artifact.RootElement.GetProperty("abi").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "error"))
            {
                var name = error.GetProperty("name").GetString()!;
                if (!Internal.Contains(name) && (only is null || only.Contains(name)))
                {
                    data.Add(name, string.Join(",", error.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("type").GetString())));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void EachErrorHasItsOwnSentence(string name, string parameters)
    {
        var ex = new SmartContractCustomErrorRevertException(Encode(name, parameters.Length == 0 ? [] : parameters.Split(',')));
        var sentence = ContractErrors.Describe(ex);
        Assert.DoesNotContain("the contract reverted", sentence);
    }

    [Fact]
    public void TheListCoversTheEscrowsOwnErrors() => Assert.True(Errors().Count() >= 17, $"only {Errors().Count()} errors found");

    /// <summary>The revert data of the error with zero values: the selector, then a word per parameter (an empty tail for a string).</summary>
    private static string Encode(string name, string[] types)
    {
        var selector = Sha3Keccack.Current.CalculateHash(Encoding.ASCII.GetBytes($"{name}({string.Join(",", types)})"))[..4];
        var head = new List<byte[]>();
        var tail = new List<byte[]>();
        foreach (var type in types)
        {
            if (type == "string")
            {
                head.Add(Word(32 * types.Length + 32 * tail.Count));
                tail.Add(Word(0));
            }
            else
            {
                head.Add(Word(0));
            }
        }

        return "0x" + Convert.ToHexStringLower([.. selector, .. head.SelectMany(w => w), .. tail.SelectMany(w => w)]);
    }

    private static byte[] Word(int value)
    {
        var word = new byte[32];
        BitConverter.GetBytes(value).Reverse().ToArray().CopyTo(word, 28);
        return word;
    }
}
