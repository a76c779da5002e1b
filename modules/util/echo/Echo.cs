using System.Runtime.CompilerServices;

namespace Modules.Util;

/// <summary>The smallest useful module: it answers with its input, so a caller can check the path to a host.</summary>
public sealed class Echo : Module
{
    /// <summary>The value given, unchanged.</summary>
    [Endpoint(Idempotent = true)]
    public Value Forward(Value value) => value;

    /// <summary>Who is calling, as the host sees it.</summary>
    [Endpoint(Description = "The caller's address (null when unsigned) and the time left before the deadline.", Idempotent = true)]
    public Dictionary<string, object?> Whoami(CallContext context) => new()
    {
        ["caller"] = context.Caller,
        ["deadline_ms"] = context.Deadline is { } d ? (long)(d - DateTimeOffset.UtcNow).TotalMilliseconds : null,
    };

    /// <summary>The value, <paramref name="times"/> times, as a stream.</summary>
    [Endpoint(Description = "Streams the value back `times` times: checks a streamed answer end to end.", Idempotent = true)]
    public async IAsyncEnumerable<Value> Repeat(Value value, int times = 3, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (times is < 0 or > 1_000_000)
        {
            throw new ModulusException(StatusCode.InvalidArgument, $"times must be 0 to 1,000,000, not {times}");
        }

        for (var i = 0; i < times; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return value;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }
}
