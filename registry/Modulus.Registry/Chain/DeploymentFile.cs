using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Modulus.Registry.Chain;

/// <summary>
/// Where the commands find the chain and the contracts: a small JSON file written by
/// <c>modulus chain up</c> (by default <c>$MODULUS_HOME/chain/deployment.json</c>), or any file of
/// that shape written by hand for another EVM chain.
/// </summary>
public static class DeploymentFile
{
    /// <summary>The default location: <c>$MODULUS_HOME/chain/deployment.json</c>.</summary>
    public static string DefaultPath => Path.Combine(Protocol.ModulusHome.Path, "chain", "deployment.json");

    /// <summary>Writes the deployment and the RPC endpoint it lives on.</summary>
    public static void Write(string path, RegistryDeployment deployment, string rpcUrl)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var json = new JsonObject
        {
            ["rpcUrl"] = rpcUrl,
            ["chainId"] = deployment.ChainId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["token"] = deployment.Token,
            ["registry"] = deployment.Registry,
            ["staking"] = deployment.Staking,
            ["block"] = (long)deployment.Block,
        };
        if (deployment.Escrow is not null)
        {
            json["escrow"] = deployment.Escrow;
        }

        var temporary = path + ".tmp";
        File.WriteAllText(temporary, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a deployment file.</summary>
    /// <exception cref="DeploymentException">The file is missing or malformed; the message says which and what to do.</exception>
    public static (RegistryDeployment Deployment, string RpcUrl) Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new DeploymentException($"no registry deployment at {path}; start the development chain with `modulus chain up`, or pass --deployment FILE for another chain");
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("the file is empty");
            string Field(string name) => root[name]?.GetValue<string>() is { Length: > 0 } value
                ? value
                : throw new JsonException($"\"{name}\" is missing");
            var deployment = new RegistryDeployment(
                BigInteger.Parse(Field("chainId"), System.Globalization.CultureInfo.InvariantCulture),
                Field("token"),
                Field("registry"),
                Field("staking"),
                root["block"]?.GetValue<long>() ?? 0)
            {
                // Optional: a file written before the escrow existed has none.
                Escrow = root["escrow"]?.GetValue<string>() is { Length: > 0 } escrow ? escrow : null,
            };
            return (deployment, Field("rpcUrl"));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            throw new DeploymentException($"the deployment file {path} is malformed ({ex.Message}); it needs rpcUrl, chainId, token, registry, staking and block (escrow is optional), as `modulus chain up` writes it");
        }
    }
}

/// <summary>The deployment could not be found or used; the message says what to do.</summary>
public sealed class DeploymentException(string message) : Exception(message);
