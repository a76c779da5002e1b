using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Internal;

/// <summary>
/// One connection budget for the whole host (gRPC and TCP listeners draw on the same count, which
/// Kestrel's own limit does not: it counts per listener), a cap per caller address so that one
/// address cannot take the whole budget, and a short timeout for a connection that sends nothing:
/// silent connections would otherwise hold their slots until the idle timeout.
/// </summary>
internal sealed class ConnectionBudget(IOptions<ModulusServerOptions> options, ILogger<ConnectionBudget> logger)
{
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _lock = new();
    private long _open;

    /// <summary>The connections open now, on every listener.</summary>
    public long Open => Interlocked.Read(ref _open);

    /// <summary>
    /// Kestrel connection middleware: admits a connection within the budget and once it has sent
    /// its first bytes. A connection it closes is first given <paramref name="farewell"/> with the
    /// reason, when the listener's protocol has a way to say it.
    /// </summary>
    public ConnectionDelegate Admit(ConnectionDelegate next, string listener, Func<ConnectionContext, string, ValueTask>? farewell = null) => async connection =>
    {
        var address = AddressOf(connection);
        if (TryAcquire(address) is { } refusal)
        {
            HostingLog.ConnectionRefused(logger, listener, connection.RemoteEndPoint?.ToString(), refusal);
            if (farewell is not null)
            {
                await farewell(connection, $"the host refused the connection: {refusal}").ConfigureAwait(false);
            }

            return;
        }

        try
        {
            if (!await FirstBytesArriveAsync(connection).ConfigureAwait(false))
            {
                var silent = $"it sent nothing within {options.Value.ConnectionStartTimeout.TotalSeconds:0.###} s";
                HostingLog.ConnectionRefused(logger, listener, connection.RemoteEndPoint?.ToString(), silent);
                if (farewell is not null)
                {
                    await farewell(connection, $"the host closed the connection: {silent} (Modulus:ConnectionStartTimeout)").ConfigureAwait(false);
                }

                return;
            }

            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Release(address);
        }
    };

    /// <summary>Takes a slot for a connection from <paramref name="address"/>; null when admitted, else why not.</summary>
    public string? TryAcquire(IPAddress? address)
    {
        var settings = options.Value;
        lock (_lock)
        {
            if (_open >= settings.MaxConnections)
            {
                return $"the host's {settings.MaxConnections} connections (Modulus:MaxConnections) are all open";
            }

            var mine = 0;
            if (address is not null && _perAddress.TryGetValue(address, out mine) && mine >= settings.MaxConnectionsPerAddress)
            {
                return $"its address already holds {mine} connections (Modulus:MaxConnectionsPerAddress)";
            }

            if (address is not null)
            {
                _perAddress[address] = mine + 1;
            }

            _open++;
            return null;
        }
    }

    public void Release(IPAddress? address)
    {
        lock (_lock)
        {
            _open--;
            if (address is not null && _perAddress.TryGetValue(address, out var mine))
            {
                if (mine <= 1)
                {
                    _perAddress.Remove(address);
                }
                else
                {
                    _perAddress[address] = mine - 1;
                }
            }
        }
    }

    private async Task<bool> FirstBytesArriveAsync(ConnectionContext connection)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        timeout.CancelAfter(options.Value.ConnectionStartTimeout);
        try
        {
            var input = connection.Transport.Input;
            var read = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            // Consume and examine nothing: the protocol behind reads the same bytes again.
            input.AdvanceTo(read.Buffer.Start, read.Buffer.Start);
            return !read.Buffer.IsEmpty || !read.IsCompleted;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException)
        {
            return false;
        }
    }

    private static IPAddress? AddressOf(ConnectionContext connection) =>
        connection.RemoteEndPoint is IPEndPoint { Address: var address }
            ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address)
            : null;
}
