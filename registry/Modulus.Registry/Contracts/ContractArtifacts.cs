using System.Text.Json;

namespace Modulus.Registry.Contracts;

/// <summary>The compiled contracts (registry/contracts/artifacts), embedded in this assembly.</summary>
internal static class ContractArtifacts
{
    private static readonly Lazy<string> TokenBytecode = new(() => Bytecode("GPTToken"));
    private static readonly Lazy<string> RegistryBytecode = new(() => Bytecode("ModuleRegistry"));
    private static readonly Lazy<string> StakingBytecode = new(() => Bytecode("ModuleStaking"));

    public static string GptToken => TokenBytecode.Value;

    public static string ModuleRegistry => RegistryBytecode.Value;

    public static string ModuleStaking => StakingBytecode.Value;

    private static string Bytecode(string contract)
    {
        using var stream = typeof(ContractArtifacts).Assembly.GetManifestResourceStream($"artifacts/{contract}.json")
            ?? throw new InvalidOperationException($"The artifact of {contract} is not embedded; build registry/contracts (npm run build) first.");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("bytecode").GetString()!;
    }
}
