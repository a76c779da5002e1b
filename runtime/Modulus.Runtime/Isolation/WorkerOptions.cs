namespace Modulus.Runtime;

/// <summary>Settings of the worker processes modules run in (section <c>Modulus:Runtime:Workers</c>).</summary>
public sealed class WorkerOptions
{
    /// <summary>
    /// The command that starts a worker, program first; the host appends <c>--socket PATH</c>. When
    /// unset, the <c>Modulus.Worker</c> program beside the host. The <c>modulus</c> CLI sets its own
    /// hidden <c>modulus worker</c> verb. An operator may prefix it, e.g. to run workers as another user.
    /// </summary>
    public IList<string>? Command { get; set; }

    /// <summary>The resident memory a worker may use, in MiB, when its manifest sets no <c>limits.memory_mb</c>; 0 for no limit.</summary>
    public int MemoryLimitMb { get; set; } = 2048;

    /// <summary>How often each worker's resident memory is read.</summary>
    public TimeSpan MemoryPollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a cancelled call (its deadline passed, its caller left) may go on in its worker before the worker is killed and restarted.</summary>
    public TimeSpan CancelGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many items of a streamed answer a worker may send ahead of the host passing them on: the
    /// bound on what one stream queues in the host for a slow caller (back-pressure reaches the
    /// module's producer beyond it).
    /// </summary>
    public int StreamWindow { get; set; } = 16;

    /// <summary>How long a worker may take to start and load its module before that is the module's fault.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait before the first restart of a worker that died; it doubles with each crash in a row, up to <see cref="MaxRestartDelay"/>.</summary>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between restarts.</summary>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A module whose worker dies this many times within <see cref="CrashLoopWindow"/> is marked failed until its files change.</summary>
    public int CrashLoopCount { get; set; } = 5;

    /// <summary>The window of <see cref="CrashLoopCount"/>.</summary>
    public TimeSpan CrashLoopWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a retired worker (its module was reloaded or removed, or the host stops) may take to finish its calls and exit before it is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
