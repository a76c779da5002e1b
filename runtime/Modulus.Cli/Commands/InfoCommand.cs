using System.CommandLine;
using System.Text.Json;
using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus info MODULE</c>: a module's version, language and endpoint signatures.</summary>
internal static class InfoCommand
{
    public static Command Create(CliOutput output)
    {
        // Optional in the grammar only: `info --registry text.stats` hands the name to the
        // option (its URL is optional too), and the action takes it back from there.
        var module = new Argument<string?>("module") { Description = "The module's dotted name, e.g. text.tokenize.", Arity = ArgumentArity.ZeroOrOne };
        var url = CommonOptions.Url();
        var json = CommonOptions.Json();
        var registry = new Option<string?>("--registry")
        {
            Description = $"Show the module's record in the registry instead (owner, versions, hosts, stake, votes), from this registry service (default $MODULUS_REGISTRY, else {Registry.Service.RegistryClient.DefaultUrl}).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("info", "Show a module's endpoints and their signatures, or with --registry its record in the registry.") { module, url, registry, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var name = parse.GetValue(module);
            var registryValue = parse.GetValue(registry);
            if (name is null && registryValue is not null && !registryValue.Contains("://", StringComparison.Ordinal))
            {
                (name, registryValue) = (registryValue, null);
            }

            if (name is null)
            {
                return output.Usage("pass the module's name, e.g. `modulus info text.stats`");
            }

            if (parse.GetResult(registry) is not null)
            {
                var registryUrl = registryValue
                    ?? (CliEnvironment.Registry ?? Registry.Service.RegistryClient.DefaultUrl);
                return await RegistryInfo.ShowAsync(output, registryUrl, name, parse.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            return await ClientAction.RunAsync(output, parse.GetValue(url)!, async client =>
            {
                var info = await client.InfoAsync(name, cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    output.Out.WriteLine(JsonSerializer.Serialize(
                        new
                        {
                            name = info.Name,
                            version = info.Version,
                            language = info.Language,
                            description = info.Description,
                            tags = info.Tags,
                            content_hash = info.ContentHash,
                            access = info.AccessMode,
                            price = info.Price,
                            price_per_1k_tokens = info.PricePer1kTokens,
                            endpoints = info.Endpoints.Select(e => new
                            {
                                name = e.Name,
                                description = e.Description,
                                returns = e.Returns.ToString(),
                                idempotent = e.Idempotent,
                                streaming = e.Streaming,
                                parameters = e.Parameters.Select(p => new { name = p.Name, type = p.Type.ToString(), required = p.Required, @default = p.Default }),
                            }),
                        },
                        CliJson.Options));
                    return 0;
                }

                output.Out.WriteLine($"{info.Name} {info.Version} ({info.Language})");
                if (info.Description.Length > 0)
                {
                    output.Out.WriteLine(info.Description);
                }

                if (info.Tags.Count > 0)
                {
                    output.Out.WriteLine($"tags: {string.Join(", ", info.Tags)}");
                }

                output.Out.WriteLine($"content: sha256:{info.ContentHash}");
                output.Out.WriteLine(info.Price is { } price
                    ? $"access: paid, {price} $GPT per call{(info.PricePer1kTokens is { } perThousand ? $", {perThousand} $GPT per 1,000 tokens" : string.Empty)} (`modulus call {info.Name} --pay`)"
                    : $"access: {info.AccessMode}");
                output.Out.WriteLine();
                // IDEMPOTENT: whether a failover client may send a call that may have run again, to another host.
                var table = new TableWriter("ENDPOINT", "SIGNATURE", "IDEMPOTENT", "DESCRIPTION");
                foreach (var endpoint in info.Endpoints)
                {
                    table.Add(endpoint.Name, endpoint.Signature, endpoint.Idempotent ? "yes" : "no", endpoint.Description ?? string.Empty);
                }

                table.Write(output.Out);
                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }
}
