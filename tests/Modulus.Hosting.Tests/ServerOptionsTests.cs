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
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o => (o.GrpcPort, o.TcpPort, o.UdpPort, o.HttpPort) = (null, null, null, null)));
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
    public async Task Start_HttpApiOptionsOutOfRange_AreRefusedNamingTheSettingButNotTheKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(o =>
        {
            o.HttpPort = 70000;
            o.GrpcPort = 7070;
            o.TcpPort = 7070;
            o.Http.Timeout = TimeSpan.Zero;
            o.Http.ApiKeys.Add(new ModulusApiKey { Key = "sk-secret-one", Caller = "alice" });
            o.Http.ApiKeys.Add(new ModulusApiKey { Key = "sk-secret-one", Caller = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" });
            o.Http.ApiKeys.Add(new ModulusApiKey { Key = "", Caller = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23" });
        }));
        Assert.Contains("Modulus:HttpPort 70000 is not a port", ex.Message);
        Assert.Contains("share a port (7070)", ex.Message);
        Assert.Contains("Modulus:Http:Timeout must be positive", ex.Message);
        Assert.Contains("Modulus:Http:ApiKeys:0:Caller \"alice\" is not an address", ex.Message);
        Assert.Contains("Modulus:Http:ApiKeys:1:Key is the key of an earlier entry", ex.Message);
        Assert.Contains("Modulus:Http:ApiKeys:2:Key is empty", ex.Message);
        // A key is a secret: the refusal names its entry, never its text.
        Assert.DoesNotContain("sk-secret-one", ex.Message);
    }

    [Fact]
    public async Task Start_ApiKeysFromConfiguration_AreBoundAsAList()
    {
        using var tree = new Modulus.Testing.TempTree();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Modulus:GrpcPort"] = "0",
            ["Modulus:TcpPort"] = "0",
            ["Modulus:UdpPort"] = "0",
            ["Modulus:HttpPort"] = "0",
            ["Modulus:Http:Timeout"] = "00:00:42",
            ["Modulus:Http:ApiKeys:0:Key"] = "sk-one",
            ["Modulus:Http:ApiKeys:0:Caller"] = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            ["Modulus:Http:ApiKeys:1:Key"] = "sk-two",
            ["Modulus:Http:ApiKeys:1:Caller"] = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23",
            ["Modulus:Identity:KeyFile"] = Path.Combine(tree.CacheDirectory, "host.key"),
            ["Modulus:Runtime:TreeRoot"] = tree.Root,
            ["Modulus:Runtime:CacheDirectory"] = tree.CacheDirectory,
            ["Modulus:Runtime:Watch"] = "false",
        }).Build();

        await using var server = ModulusServer.Create(configuration: configuration);
        await server.StartAsync();
        var options = ((IOptions<ModulusServerOptions>)server.Services.GetService(typeof(IOptions<ModulusServerOptions>))!).Value;
        Assert.Equal(TimeSpan.FromSeconds(42), options.Http.Timeout);
        Assert.Equal(["sk-one", "sk-two"], options.Http.ApiKeys.Select(k => k.Key));
        Assert.StartsWith("http://127.0.0.1:", server.HttpAddress, StringComparison.Ordinal);
        Assert.DoesNotContain(server.HttpAddress!, server.Addresses);
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

        await using var server = ModulusServer.Create(o => (o.UdpPort, o.HttpPort) = (null, null), r => r.CacheDirectory = tree.CacheDirectory, configuration: configuration);
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
            await using var server = ModulusServer.Create(o => (o.GrpcPort, o.TcpPort, o.UdpPort, o.HttpPort, o.Identity.KeyFile) = (null, 0, null, null, keyFile), r => (r.TreeRoot, r.CacheDirectory) = (tree.Root, tree.CacheDirectory));
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
