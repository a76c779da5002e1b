using System.Globalization;
using System.Numerics;
using Modulus.Registry.Chain;
using Modulus.Registry.Service;

namespace Modulus.Cli.Commands;

/// <summary><c>modulus info NAME --registry</c>: a module's owner, versions, hosts, stake and votes.</summary>
internal static class RegistryInfo
{
    public static Task<int> ShowAsync(CliOutput output, string registryUrl, string name, bool json, CancellationToken cancellationToken) =>
        ChainAction.RunAsync(output, async () =>
        {
            using var client = new RegistryClient(registryUrl);
            var module = await client.GetModuleAsync(name, cancellationToken).ConfigureAwait(false);
            if (json)
            {
                output.Out.WriteLine(Google.Protobuf.JsonFormatter.Default.Format(module));
                return 0;
            }

            var summary = module.Summary;
            output.Out.WriteLine($"{summary.Name} (owner {summary.Owner})");
            if (summary.Price.Length > 0)
            {
                output.Out.WriteLine($"price: {summary.Price} $GPT per call (access.mode \"paid\")");
            }

            if (summary.Description.Length > 0)
            {
                output.Out.WriteLine(summary.Description);
            }

            if (summary.Tags.Count > 0)
            {
                output.Out.WriteLine($"tags: {string.Join(", ", summary.Tags)}");
            }

            output.Out.WriteLine($"stake: {ContractErrors.Gpt(Parse(summary.TotalStake))} $GPT; votes: {ContractErrors.Gpt(Parse(summary.UpWeight))} up, {ContractErrors.Gpt(Parse(summary.DownWeight))} down; hosts: {summary.HostCount}");
            output.Out.WriteLine();
            var versions = new TableWriter("VERSION", "SHA256", "BLOCK", "STATUS");
            foreach (var version in module.Versions)
            {
                versions.Add(version.Version, version.ContentHash, version.PublishedBlock.ToString(CultureInfo.InvariantCulture), version.Deprecated ? $"deprecated: {version.DeprecationReason}" : "live");
            }

            versions.Write(output.Out);
            if (module.Hosts.Count > 0)
            {
                output.Out.WriteLine();
                var hosts = new TableWriter("VERSION", "HOST", "ENDPOINT");
                foreach (var host in module.Hosts)
                {
                    hosts.Add(host.Version, host.Address, host.Endpoint);
                }

                hosts.Write(output.Out);
            }

            return 0;
        });

    private static BigInteger Parse(string amount) =>
        amount.Length == 0 ? BigInteger.Zero : BigInteger.Parse(amount, CultureInfo.InvariantCulture);
}
