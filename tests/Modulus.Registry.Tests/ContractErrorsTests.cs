using System.Numerics;
using System.Text.Json;
using Modulus.Registry.Chain;
using Modulus.Testing;
using Nethereum.ABI.ABIDeserialisation;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.Contracts;

namespace Modulus.Registry.Tests;

public class ContractErrorsTests
{
    /// <summary>
    /// Every custom error in ModuleRegistry's compiled ABI gets its own sentence, not the generic
    /// fallback: a new refusal added to the contract without one fails here rather than reaching a
    /// user as raw revert data.
    /// </summary>
    [Fact]
    public void Describe_EveryModuleRegistryError_HasASentence()
    {
        var artifact = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "registry", "contracts", "artifacts", "ModuleRegistry.json"));
        using var document = JsonDocument.Parse(artifact);
        var abi = new ABIJsonDeserialiser().DeserialiseContract(document.RootElement.GetProperty("abi").GetRawText());
        Assert.NotEmpty(abi.Errors);

        var undescribed = new List<string>();
        foreach (var error in abi.Errors)
        {
            var values = error.InputParameters.Select(p => Zero(p.Type)).ToArray();
            var data = "0x" + error.Sha3Signature + Convert.ToHexStringLower(new ParametersEncoder().EncodeParameters(error.InputParameters, values));
            var sentence = ContractErrors.Describe(new SmartContractCustomErrorRevertException(data));
            if (sentence.StartsWith("the contract reverted", StringComparison.Ordinal))
            {
                undescribed.Add(error.Name);
            }
        }

        Assert.True(undescribed.Count == 0, $"no sentence in ContractErrors for: {string.Join(", ", undescribed)}");
    }

    private static object Zero(string type) => type switch
    {
        "string" => string.Empty,
        "address" => "0x0000000000000000000000000000000000000000",
        "bool" => false,
        "bytes32" => new byte[32],
        _ when type.StartsWith("uint", StringComparison.Ordinal) || type.StartsWith("int", StringComparison.Ordinal) => BigInteger.Zero,
        _ => throw new NotSupportedException($"an error argument of type {type}: add its zero value here"),
    };
}
