using Microsoft.Extensions.Logging;
using Modulus.Sdk;

namespace Modulus.Runtime.Invocation.Steps;

/// <summary>
/// Gives the call the earlier of the caller's deadline and <c>limits.timeout_ms</c>, and answers
/// DEADLINE_EXCEEDED when it passes, whatever the module does; CANCELLED when the caller went away.
/// </summary>
internal sealed class DeadlineStep(ILogger<DeadlineStep> logger) : IInvocationStep
{
    /// <summary>How much earlier than this host a worker's clock may see the deadline pass.</summary>
    private static readonly TimeSpan DeadlineSlack = TimeSpan.FromMilliseconds(50);

    private ModulusException TimedOut(Invocation invocation, TimeSpan timeout)
    {
        RuntimeLog.CallTimedOut(logger, invocation.Target, (long)timeout.TotalMilliseconds);
        return new ModulusException(StatusCode.DeadlineExceeded,
            $"{invocation.Target} did not finish within {timeout.TotalMilliseconds:0} ms (the caller's deadline or limits.timeout_ms)");
    }

    public async ValueTask<Value> InvokeAsync(Invocation invocation, InvocationDelegate next)
    {
        var timeout = invocation.Entry.Source.Manifest.Limits.Timeout;
        if (invocation.Call.Deadline is { } deadline)
        {
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw new ModulusException(StatusCode.DeadlineExceeded, $"{invocation.Target}: the caller's deadline passed before the call started");
            }

            timeout = remaining < timeout ? remaining : timeout;
        }

        var deadlineSource = CancellationTokenSource.CreateLinkedTokenSource(invocation.CallerToken);
        deadlineSource.CancelAfter(timeout);
        invocation.Hold(deadlineSource);
        invocation.CancellationToken = deadlineSource.Token;
        invocation.Deadline = DateTimeOffset.UtcNow + timeout;
        try
        {
            return await next(invocation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (invocation.CallerToken.IsCancellationRequested)
        {
            throw new ModulusException(StatusCode.Cancelled, $"{invocation.Target}: the caller cancelled the call");
        }
        catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested)
        {
            throw TimedOut(invocation, timeout);
        }
        catch (ModulusException ex) when (ex.Code == StatusCode.Cancelled && !invocation.CallerToken.IsCancellationRequested && DateTimeOffset.UtcNow >= invocation.Deadline - DeadlineSlack)
        {
            // A worker stops a call at its deadline by itself too (in case the host's cancel comes
            // late); its answer can arrive a moment before this host's own timer fires.
            throw TimedOut(invocation, timeout);
        }
    }
}
