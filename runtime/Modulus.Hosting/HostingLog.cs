using Microsoft.Extensions.Logging;

namespace Modulus.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(101, LogLevel.Debug, "A call stream closed before all responses were written: {Reason}", EventName = "StreamClosed")]
    public static partial void StreamClosed(ILogger logger, string reason);

    [LoggerMessage(102, LogLevel.Information, "Modulus host ready in {ElapsedMs} ms: {Addresses}", EventName = "HostReady")]
    public static partial void HostReady(ILogger logger, long elapsedMs, string addresses);

    [LoggerMessage(103, LogLevel.Warning, "Dropped TCP connection from {Remote}: {Reason}", EventName = "TcpConnectionDropped")]
    public static partial void TcpConnectionDropped(ILogger logger, string? remote, string reason);

    [LoggerMessage(104, LogLevel.Debug, "Ignored a UDP datagram from {Remote}: {Reason}", EventName = "UdpDatagramIgnored")]
    public static partial void UdpDatagramIgnored(ILogger logger, string? remote, string reason);

    [LoggerMessage(105, LogLevel.Warning, "UDP receive failed: {Reason}", EventName = "UdpReceiveFailed")]
    public static partial void UdpReceiveFailed(ILogger logger, string reason);

    [LoggerMessage(120, LogLevel.Information, "Host identity {Address} on chain {ChainId} (key {KeyFile})", EventName = "HostIdentity")]
    public static partial void HostIdentity(ILogger logger, string address, ulong chainId, string keyFile);

    [LoggerMessage(121, LogLevel.Information, "Created a host key at {KeyFile}", EventName = "HostKeyCreated")]
    public static partial void HostKeyCreated(ILogger logger, string keyFile);

    [LoggerMessage(106, LogLevel.Information, "Closed a {Listener} connection from {Remote}: {Reason}", EventName = "ConnectionRefused")]
    public static partial void ConnectionRefused(ILogger logger, string listener, string? remote, string reason);

    [LoggerMessage(107, LogLevel.Debug, "Closed idle TCP connection from {Remote}: silent for {Seconds} s with no call in flight", EventName = "TcpConnectionIdle")]
    public static partial void TcpConnectionIdle(ILogger logger, string? remote, double seconds);
}
