using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Client.Tests;

public class ClientTests
{
    [Theory]
    [InlineData("grpc://127.0.0.1:7050", "grpc", "127.0.0.1", 7050)]
    [InlineData("127.0.0.1:9000", "grpc", "127.0.0.1", 9000)]
    [InlineData("GRPC://localhost:1", "grpc", "localhost", 1)]
    [InlineData("grpc://[::1]:7050", "grpc", "::1", 7050)]
    [InlineData("udp://[::1]:7052", "udp", "::1", 7052)]
    public void Address_Parse_ReadsSchemeHostAndPort(string text, string scheme, string host, int port)
    {
        Assert.Equal(new ModulusAddress(scheme, host, port), ModulusAddress.Parse(text));
        Assert.Equal(ModulusAddress.Parse(text), ModulusAddress.Parse(ModulusAddress.Parse(text).ToString()));
    }

    [Theory]
    [InlineData("grpc://127.0.0.1", "not a host address")]
    [InlineData("grpc://:7050", "not a host address")]
    [InlineData("grpc://127.0.0.1:7050/path", "not a host address")]
    [InlineData("ftp://127.0.0.1:21", "does not speak")]
    public void Address_Parse_Malformed_SaysTheForm(string text, string expected)
    {
        Assert.Contains(expected, Assert.Throws<FormatException>(() => ModulusAddress.Parse(text)).Message);
    }

    [Fact]
    public async Task Call_NoHostListening_IsUnavailableSayingWhere()
    {
        var port = FreePort();
        await using var client = ModulusClient.Connect($"grpc://127.0.0.1:{port}");
        var ex = await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("util.echo", "x"));
        Assert.Equal(StatusCode.Unavailable, ex.Code);
        Assert.Contains($"127.0.0.1:{port}", ex.Message);
    }

    [Fact]
    public async Task Call_EmptyTarget_IsInvalidArgumentBeforeAnythingIsSent()
    {
        await using var client = ModulusClient.Connect("grpc://127.0.0.1:1");
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<ModulusException>(() => client.CallAsync("/forward"))).Code);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
