using System.CommandLine;
using System.Text.Json;
using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus ls</c>: the modules a host serves, and the folders it failed to load.</summary>
internal static class ListCommand
{
    public static Command Create(CliOutput output)
    {
        var url = CommonOptions.Url();
        var json = CommonOptions.Json();
        var command = new Command("ls", "List the modules a host serves.") { url, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            return await ClientAction.RunAsync(output, parse.GetValue(url)!, async client =>
            {
                var listing = await client.ListAsync(cancellationToken).ConfigureAwait(false);
                if (parse.GetValue(json))
                {
                    output.Out.WriteLine(JsonSerializer.Serialize(
                        new
                        {
                            modules = listing.Modules.Select(m => new { name = m.Name, version = m.Version, language = m.Language, description = m.Description, tags = m.Tags, endpoints = m.Endpoints.Select(e => e.Name) }),
                            faults = listing.Faults.Select(f => new { path = f.Path, reason = f.Reason }),
                            loading = listing.Loading,
                        },
                        CliJson.Options));
                    return 0;
                }

                var table = new TableWriter("MODULE", "VERSION", "LANGUAGE", "ENDPOINTS", "DESCRIPTION");
                foreach (var module in listing.Modules)
                {
                    table.Add(module.Name, module.Version, module.Language, string.Join(", ", module.Endpoints.Select(e => e.Name)), module.Description);
                }

                foreach (var name in listing.Loading)
                {
                    table.Add(name, "", "", "", "(loading)");
                }

                table.Write(output.Out);
                foreach (var fault in listing.Faults)
                {
                    output.Out.WriteLine($"failed: {fault.Path}: {fault.Reason}");
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }
}

/// <summary>How the CLI prints JSON.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
