using System.CommandLine;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Modulus.Protocol.V1;
using Modulus.Registry.Chain;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus search [TEXT]</c>: modules in the registry, ranked by stake, votes or hosts.</summary>
internal static class SearchCommand
{
    public static Command Create(CliOutput output)
    {
        var text = new Argument<string?>("text") { Description = "Words to find in names and descriptions; all modules when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var tag = new Option<string?>("--tag") { Description = "Only modules with this tag." };
        var rank = new Option<string>("--rank") { Description = "Order by stake, votes (up minus down), hosts or name.", DefaultValueFactory = _ => "stake" };
        rank.AcceptOnlyFromAmong("stake", "votes", "hosts", "name");
        var limit = new Option<int>("--limit") { Description = "At most this many modules.", DefaultValueFactory = _ => 20 };
        var access = new RegistryAccess();
        var json = CommonOptions.Json();
        var command = new Command("search", "Search the registry's modules by name, description or tag, ranked.") { text, tag, rank, limit, access.Registry, json };
        command.SetAction((parse, cancellationToken) => ChainAction.RunAsync(output, async () =>
        {
            if (parse.GetValue(limit) is < 1 or > 1000)
            {
                return output.Usage($"--limit {parse.GetValue(limit)} must be 1-1000");
            }

            using var registry = access.Client(parse);
            var response = await registry.SearchAsync(
                new SearchRequest
                {
                    Text = parse.GetValue(text) ?? string.Empty,
                    Tag = parse.GetValue(tag) ?? string.Empty,
                    Rank = parse.GetValue(rank) switch { "votes" => RankBy.Votes, "hosts" => RankBy.Hosts, "name" => RankBy.Name, _ => RankBy.Stake },
                    Limit = parse.GetValue(limit),
                },
                cancellationToken).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                output.Out.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        indexedBlock = response.IndexedBlock,
                        modules = response.Modules.Select(m => new
                        {
                            name = m.Name,
                            version = m.LatestVersion,
                            owner = m.Owner,
                            description = m.Description,
                            tags = m.Tags,
                            stake = m.TotalStake,
                            upWeight = m.UpWeight,
                            downWeight = m.DownWeight,
                            hosts = m.HostCount,
                            price = m.Price.Length == 0 ? null : m.Price,
                        }),
                    },
                    CliJson.Options));
                return 0;
            }

            if (response.Modules.Count == 0)
            {
                output.Out.WriteLine($"No modules match (index at block {response.IndexedBlock}).");
                return 0;
            }

            var table = new TableWriter("NAME", "VERSION", "STAKE", "VOTES", "HOSTS", "PRICE", "DESCRIPTION");
            foreach (var module in response.Modules)
            {
                var votes = Parse(module.UpWeight) - Parse(module.DownWeight);
                table.Add(
                    module.Name,
                    module.LatestVersion,
                    ContractErrors.Gpt(Parse(module.TotalStake)),
                    (votes.Sign > 0 ? "+" : string.Empty) + ContractErrors.Gpt(votes),
                    module.HostCount.ToString(CultureInfo.InvariantCulture),
                    module.Price.Length == 0 ? "free" : module.Price,
                    module.Description);
            }

            table.Write(output.Out);
            return 0;
        }));
        return command;
    }

    private static BigInteger Parse(string amount) =>
        amount.Length == 0 ? BigInteger.Zero : BigInteger.Parse(amount, CultureInfo.InvariantCulture);
}
