using System.CommandLine;
using Modulus.Client.Keys;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Cli.Commands;

/// <summary>
/// The options every registry verb shares, and how they become a chain connection, a signing
/// account and a registry-service client. Every verb takes <c>--rpc</c> for any EVM chain.
/// </summary>
internal sealed class RegistryAccess
{
    public const string DefaultKey = "dev0";

    public Option<string?> Deployment { get; } = new("--deployment")
    {
        Description = "The deployment file (chain id and contract addresses). Defaults to $MODULUS_DEPLOYMENT, else the one `modulus chain up` wrote.",
    };

    public Option<string?> Rpc { get; } = new("--rpc") { Description = "The chain's JSON-RPC URL; defaults to the deployment file's." };

    public Option<string> Registry { get; } = new("--registry")
    {
        Description = $"The registry service. Defaults to $MODULUS_REGISTRY, else {RegistryClient.DefaultUrl}.",
        DefaultValueFactory = _ => CliEnvironment.Registry ?? RegistryClient.DefaultUrl,
    };

    public Option<string?> Key { get; } = new("--key")
    {
        Description = $"The key from `modulus keys` that signs the transactions. Defaults to $MODULUS_KEY, else {DefaultKey} (a development account `modulus chain up` adds).",
    };

    public Option<string?> PassphraseFile { get; } = Passphrase.FileOption();

    public void AddChainOptions(Command command)
    {
        command.Options.Add(Deployment);
        command.Options.Add(Rpc);
    }

    public void AddSigningOptions(Command command)
    {
        AddChainOptions(command);
        command.Options.Add(Key);
        command.Options.Add(PassphraseFile);
    }

    /// <summary>The deployment and the RPC URL to reach it.</summary>
    /// <exception cref="DeploymentException">No usable deployment file.</exception>
    public (RegistryDeployment Deployment, string RpcUrl) Chain(ParseResult parse)
    {
        var path = parse.GetValue(Deployment)
            ?? (CliEnvironment.Deployment ?? DeploymentFile.DefaultPath);
        var (deployment, rpcUrl) = DeploymentFile.Read(path);
        var rpc = parse.GetValue(Rpc) ?? rpcUrl;
        if (!Uri.TryCreate(rpc, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "ws" or "wss"))
        {
            throw new DeploymentException($"--rpc \"{rpc}\" is not a JSON-RPC URL; use http://HOST:PORT, e.g. http://127.0.0.1:8545");
        }

        return (deployment, rpc);
    }

    /// <summary>Read-only access to the contracts.</summary>
    public RegistryContracts ReadOnly(ParseResult parse)
    {
        var (deployment, rpcUrl) = Chain(parse);
        return new RegistryContracts(new Web3(rpcUrl), deployment);
    }

    /// <summary>The contracts as the signing account sees them; null when the key cannot be unlocked (the reason is printed).</summary>
    public RegistryContracts? Signed(ParseResult parse, CliOutput output, KeyRing keyRing, out int exitCode)
    {
        var (deployment, rpcUrl) = Chain(parse);
        var keyName = parse.GetValue(Key) ?? (CliEnvironment.Key ?? DefaultKey);
        exitCode = 0;
        UnlockedKey key;
        try
        {
            key = Unlock(parse, output, keyRing, keyName, out exitCode)!;
            if (key is null)
            {
                return null;
            }
        }
        catch (KeyRingException ex)
        {
            exitCode = output.Usage(keyName == DefaultKey && !keyRing.List().Any(k => k.Name == DefaultKey)
                ? $"no key \"{DefaultKey}\": start the development chain with `modulus chain up` (it adds the funded dev accounts), or pass --key NAME"
                : ex.Message);
            return null;
        }

        var web3 = new Web3(new Account(new Nethereum.Signer.EthECKey(key.PrivateKey, isPrivate: true), deployment.ChainId), rpcUrl);
        // Anvil and most development chains take legacy transactions; the gas price comes from the node.
        web3.TransactionManager.UseLegacyAsDefault = true;
        return new RegistryContracts(web3, deployment);
    }

    private UnlockedKey? Unlock(ParseResult parse, CliOutput output, KeyRing keyRing, string keyName, out int exitCode) =>
        Passphrase.Unlock(parse, PassphraseFile, keyRing, keyName, output, out exitCode);

    public RegistryClient Client(ParseResult parse) => new(parse.GetValue(Registry)!);
}
