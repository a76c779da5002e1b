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
            ["Modulus:Identity:KeyFile"] = Path.Combine(tree.CacheDirectory, "host.key"),
            ["Modulus:Identity:ChainId"] = "8453",
            ["Modulus:Runtime:TreeRoot"] = tree.Root,
            ["Modulus:Runtime:Watch"] = "false",
        }).Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(configuration: configuration));
        Assert.Contains("Modulus:UdpPort 70000 is not a port", ex.Message);

        await using var server = ModulusServer.Create(o => o.UdpPort = null, r => r.CacheDirectory = tree.CacheDirectory, configuration: configuration);
        await server.StartAsync();
        var options = ((IServiceProvider)server.Services).GetService(typeof(IOptions<ModulusServerOptions>)) as IOptions<ModulusServerOptions>;
        Assert.Equal(3, options!.Value.MaxCallsPerConnection);
        Assert.Equal(8453UL, options.Value.Identity.ChainId);
        Assert.True(File.Exists(Path.Combine(tree.CacheDirectory, "host.key")), "the host key is made where Modulus:Identity:KeyFile says");
        Assert.Null(server.UdpAddress);
        Assert.NotNull(server.TcpAddress);
        var runtime = (IOptions<Modulus.Runtime.ModulusRuntimeOptions>)server.Services.GetService(typeof(IOptions<Modulus.Runtime.ModulusRuntimeOptions>))!;
        Assert.Equal(tree.Root, runtime.Value.TreeRoot);
        Assert.Equal(tree.CacheDirectory, runtime.Value.CacheDirectory);
    }

    [Fact]
    public async Task Start_DamagedHostKey_IsRefusedNamingTheFile()
    {
        using var tree = new Modulus.Testing.TempTree();
        var keyFile = Path.Combine(tree.CacheDirectory, "host.key");
        Directory.CreateDirectory(tree.CacheDirectory);
        await File.WriteAllTextAsync(keyFile, "not a key");
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o => o.Identity.KeyFile = keyFile));
        Assert.Contains($"Modulus:Identity:KeyFile {keyFile} does not hold a private key", ex.Message);
    }

    [Fact]
    public async Task Start_SameKeyFile_GivesTheSameIdentityEveryTime()
    {
        using var tree = new Modulus.Testing.TempTree();
        var keyFile = Path.Combine(tree.CacheDirectory, "host.key");
        string? first = null;
        for (var i = 0; i < 2; i++)
        {
            await using var server = ModulusServer.Create(o => (o.GrpcPort, o.TcpPort, o.UdpPort, o.Identity.KeyFile) = (null, 0, null, keyFile), r => (r.TreeRoot, r.CacheDirectory) = (tree.Root, tree.CacheDirectory));
            await server.StartAsync();
            await using var client = Modulus.Client.ModulusClient.Connect(server.TcpAddress!);
            var identity = await client.HostAsync();
            Assert.Equal(31337UL, identity.ChainId);
            first ??= identity.Address;
            Assert.Equal(first, identity.Address);
        }
    }

    /// <summary>Builds and starts a server: invalid options are refused at either step, before anything listens.</summary>
    private static async Task StartAsync(Action<ModulusServerOptions>? configure = null, IConfiguration? configuration = null)
    {
        await using var server = ModulusServer.Create(configure, configuration: configuration);
        await server.StartAsync();
    }
}
