namespace Modulus.Hosting.Tests;

public class ServerOptionsTests
{
    [Fact]
    public void Create_HostThatIsNotAnAddress_IsRefusedSayingWhatToUse()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModulusServer.Create(new ModulusServerOptions { Host = "example.invalid" }));
        Assert.Contains("127.0.0.1", ex.Message);
    }

    [Fact]
    public void Create_EveryTransportOff_IsRefused()
    {
        Assert.Contains("Every transport is switched off", Assert.Throws<ArgumentException>(() => ModulusServer.Create(new ModulusServerOptions { GrpcPort = null, TcpPort = null, UdpPort = null })).Message);
    }
}
