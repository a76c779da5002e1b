using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Tests;

public class ServerOptionsTests
{
    [Fact]
    public async Task Start_HostThatIsNotAnAddress_IsRefusedSayingWhatToUse()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o => o.Host = "example.invalid"));
        Assert.Contains("Modulus:Host \"example.invalid\" is not an IP address", ex.Message);
        Assert.Contains("127.0.0.1", ex.Message);
    }

    [Fact]
    public async Task Start_EveryTransportOff_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o => (o.GrpcPort, o.TcpPort, o.UdpPort) = (null, null, null)));
        Assert.Contains("every transport is switched off", ex.Message);
    }

    [Fact]
    public async Task Start_ConnectionLimitsOutOfRange_AreRefusedNamingTheSetting()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o =>
        {
            o.ConnectionStartTimeout = TimeSpan.Zero;
            o.IdleTimeout = TimeSpan.FromSeconds(-1);
            o.MaxConnectionsPerAddress = 0;
        }));
        Assert.Contains("Modulus:ConnectionStartTimeout must be positive", ex.Message);
        Assert.Contains("Modulus:IdleTimeout must be positive", ex.Message);
        Assert.Contains("MaxConnectionsPerAddress", ex.Message);
    }

    [Fact]
    public async Task Start_OptionsFromConfiguration_AreBoundAndCodeWinsOverThem()
    {
        using var tree = new Modulus.Testing.TempTree();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Modulus:GrpcPort"] = "0",
            ["Modulus:TcpPort"] = "0",
            ["Modulus:UdpPort"] = "70000",
            ["Modulus:MaxCallsPerConnection"] = "3",
            ["Modulus:Runtime:TreeRoot"] = tree.Root,
            ["Modulus:Runtime:Watch"] = "false",
        }).Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(configuration: configuration));
        Assert.Contains("Modulus:UdpPort 70000 is not a port", ex.Message);

        await using var server = ModulusServer.Create(o => o.UdpPort = null, r => r.CacheDirectory = tree.CacheDirectory, configuration: configuration);
        await server.StartAsync();
        var options = ((IServiceProvider)server.Services).GetService(typeof(IOptions<ModulusServerOptions>)) as IOptions<ModulusServerOptions>;
        Assert.Equal(3, options!.Value.MaxCallsPerConnection);
        Assert.Null(server.UdpAddress);
        Assert.NotNull(server.TcpAddress);
        var runtime = (IOptions<Modulus.Runtime.ModulusRuntimeOptions>)server.Services.GetService(typeof(IOptions<Modulus.Runtime.ModulusRuntimeOptions>))!;
        Assert.Equal(tree.Root, runtime.Value.TreeRoot);
        Assert.Equal(tree.CacheDirectory, runtime.Value.CacheDirectory);
    }

    /// <summary>Builds and starts a server: invalid options are refused at either step, before anything listens.</summary>
    private static async Task StartAsync(Action<ModulusServerOptions>? configure = null, IConfiguration? configuration = null)
    {
        await using var server = ModulusServer.Create(configure, configuration: configuration);
        await server.StartAsync();
    }
}
