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
}
