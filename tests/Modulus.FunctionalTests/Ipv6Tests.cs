using System.Net;
using System.Net.Sockets;
using Modulus.Client;
using Modulus.Testing;

namespace Modulus.FunctionalTests;

/// <summary>A host on the IPv6 loopback, called by its printed addresses (<c>grpc://[::1]:P</c>) from C# and Python.</summary>
public sealed class Ipv6Tests
{
    /// <summary>True when this machine has an IPv6 loopback to bind; the tests pass vacuously otherwise.</summary>
    internal static bool HasIpv6Loopback()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return false;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Fact]
    public async Task HostOnIpv6Loopback_AnswersEveryTransport_FromCSharpAndPython()
    {
        if (!HasIpv6Loopback())
        {
            return;
        }

        using var tree = new TempTree();
        tree.AddCSharp("echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }");
        await using var host = await TestHost.StartAsync(tree, configure: o => o.Host = "::1");
        Assert.Equal(3, host.Addresses.Count);
        foreach (var address in host.Addresses)
        {
            Assert.Contains("://[::1]:", address, StringComparison.Ordinal);
            await using var client = ModulusClient.Connect(address);
            Assert.Equal("six", (await client.CallAsync("echo", "six")).AsString());
        }

        var script = "import sys, modulus.client\nfor url in sys.argv[1:]:\n    with modulus.client.connect(url, timeout=20) as h:\n        print(url, h.call('echo', 'six'))\n";
        var report = await PythonCaller.RunAsync(script, host.Addresses);
        foreach (var address in host.Addresses)
        {
            Assert.Contains($"{address} six", report, StringComparison.Ordinal);
        }
    }
}
