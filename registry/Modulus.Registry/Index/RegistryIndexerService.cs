using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Modulus.Registry.Chain;
using Nethereum.Web3;

namespace Modulus.Registry.Index;

/// <summary>The chain follower as a hosted service: catches the index up, then follows the head until the host stops.</summary>
public sealed class RegistryIndexerService(IWeb3 web3, RegistryDeployment deployment, RegistryIndex index, RegistryIndexerOptions options, ILoggerFactory loggerFactory)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var follower = new ChainFollower(
            web3,
            deployment,
            index,
            new ChainFollowerOptions { BatchBlocks = options.BatchBlocks, Confirmations = options.Confirmations },
            loggerFactory.CreateLogger<ChainFollower>());
        return follower.RunAsync(options.PollInterval, stoppingToken);
    }
}
