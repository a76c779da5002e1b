using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Python.Runtime;

namespace Modulus.Runtime.Python;

/// <summary>
/// Owns the embedded CPython of a worker process: finds its shared library, starts the engine once,
/// hands out the host-side helper module, and interrupts calls past their deadline. CPython can be
/// started once per process, which is why Python modules run only in workers (one module per
/// worker, so one interpreter and one GIL per module); the rest of the runtime touches pythonnet
/// only through this service and only inside short <c>Py.GIL()</c> scopes.
/// </summary>
internal sealed class PythonInterpreter(IOptions<ModulusRuntimeOptions> options, ILogger<PythonInterpreter> logger) : IAsyncDisposable
{
    /// <summary>The interpreter used when no setting names one: Debian's, where its python3-* packages land.</summary>
    private const string SystemInterpreter = "/usr/bin/python3";

    private readonly Lock _gate = new();
    private readonly Channel<PythonCall> _interrupts = Channel.CreateUnbounded<PythonCall>(new UnboundedChannelOptions { SingleReader = true });
    private PyObject? _host;
    private PyObject? _getIdent;
    private string? _startError;
    private Task? _interrupter;

    /// <summary>The <c>modulus._host</c> module. Use it only while holding the GIL.</summary>
    public PyObject Host => _host ?? throw new InvalidOperationException("The Python engine is not started.");

    /// <summary>Starts the engine if it is not running.</summary>
    /// <exception cref="PythonUnavailableException">No usable libpython, or the engine failed to start.</exception>
    public void EnsureStarted()
    {
        lock (_gate)
        {
            if (_host is not null)
            {
                return;
            }

            if (_startError is not null)
            {
                throw new PythonUnavailableException(_startError);
            }

            try
            {
                Start();
            }
            catch (Exception ex) when (ex is not PythonUnavailableException)
            {
                _startError = $"the embedded Python failed to start: {ex.GetType().Name}: {ex.Message}";
                throw new PythonUnavailableException(_startError);
            }
            catch (PythonUnavailableException ex)
            {
                _startError = ex.Message;
                throw;
            }
        }
    }

    /// <summary>Begins a call on this thread; hold the GIL. The call may then be interrupted, safely, until it ends.</summary>
    public PythonCall BeginCall()
    {
        using var ident = _getIdent!.Invoke();
        return new PythonCall(ident.As<ulong>());
    }

    /// <summary>
    /// Asks for <paramref name="call"/> to be interrupted (a KeyboardInterrupt raised in its thread).
    /// Returns at once: the interrupt is raised by the interpreter's own thread, which takes the GIL
    /// first, and only if the call is still running then.
    /// </summary>
    public void Interrupt(PythonCall call) => _interrupts.Writer.TryWrite(call);

    public async ValueTask DisposeAsync()
    {
        _interrupts.Writer.TryComplete();
        if (_interrupter is not null)
        {
            await _interrupter.ConfigureAwait(false);
        }
    }

    private async Task InterruptAsync()
    {
        await foreach (var call in _interrupts.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            using (Py.GIL())
            {
                // Both this check and the call's end happen under the GIL: an interrupt never lands
                // in a call that has finished, or in the next call on the same thread.
                if (!call.Finished)
                {
                    PythonEngine.Interrupt(call.ThreadId);
                }
            }
        }
    }

    private void Start()
    {
        var settings = options.Value.Python;
        var (library, searchPath) = Locate(settings);
        var sdkPath = settings.SdkPath ?? Path.Combine(AppContext.BaseDirectory, "python");
        if (!File.Exists(Path.Combine(sdkPath, "modulus", "__init__.py")))
        {
            throw new PythonUnavailableException($"the modulus Python package is not in {sdkPath}; set Modulus:Runtime:Python:SdkPath to the folder holding modulus/");
        }

        var stopwatch = Stopwatch.StartNew();
        global::Python.Runtime.Runtime.PythonDLL = library;
        PythonEngine.Initialize();
        using (Py.GIL())
        {
            using var sys = Py.Import("sys");
            using var path = sys.GetAttr("path");
            // The probed interpreter's own path makes its packages (Debian's dist-packages) importable
            // even where the embedded interpreter would compute another prefix.
            foreach (var entry in searchPath)
            {
                using var item = new PyString(entry);
                using var present = path.InvokeMethod("__contains__", item);
                if (!present.IsTrue())
                {
                    path.InvokeMethod("append", item).Dispose();
                }
            }

            using var sdk = new PyString(sdkPath);
            using var first = new PyInt(0);
            path.InvokeMethod("insert", first, sdk).Dispose();
            _host = Py.Import("modulus._host");
            using var thread = Py.Import("_thread");
            _getIdent = thread.GetAttr("get_ident");
            using var version = sys.GetAttr("version");
            RuntimeLog.PythonStarted(logger, library, version.ToString()!.Split(' ')[0], stopwatch.ElapsedMilliseconds);
        }

        // The thread that initialised the engine holds the GIL until it is released here;
        // from now on every use takes it with Py.GIL() and gives it back at once.
        PythonEngine.BeginAllowThreads();
        _interrupter = Task.Factory.StartNew(InterruptAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    private static (string Library, IReadOnlyList<string> SearchPath) Locate(PythonOptions settings)
    {
        var explicitLibrary = NonEmpty(settings.Library);
        var executable = NonEmpty(settings.Executable) ?? (File.Exists(SystemInterpreter) ? SystemInterpreter : "python3");

        var probe = Probe(executable);
        var library = explicitLibrary ?? probe?.Library;
        if (library is null)
        {
            throw new PythonUnavailableException(
                $"no Python interpreter found at {executable}; install Debian's python3 (apt-get install python3) or set Modulus:Runtime:Python:Library (MODULUS_PYTHON_LIBRARY) to libpython3.X.so");
        }

        if (!File.Exists(library))
        {
            throw new PythonUnavailableException(
                $"libpython \"{library}\" does not exist; install the shared library (apt-get install libpython3-dev) or set Modulus:Runtime:Python:Library (MODULUS_PYTHON_LIBRARY) to the right file");
        }

        return (library, probe?.SearchPath ?? []);
    }

    private static (string? Library, IReadOnlyList<string> SearchPath)? Probe(string executable)
    {
        const string Script = "import json, os, sys, sysconfig; v = sysconfig.get_config_var; "
            + "print(json.dumps({'lib': os.path.join(v('LIBDIR') or '', v('INSTSONAME') or v('LDLIBRARY') or ''), 'path': [p for p in sys.path if p]}))";
        try
        {
            using var process = Process.Start(new ProcessStartInfo(executable, ["-c", Script])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit(10_000);
            if (process.ExitCode != 0)
            {
                return null;
            }

            using var document = JsonDocument.Parse(output);
            var lib = document.RootElement.GetProperty("lib").GetString();
            var path = document.RootElement.GetProperty("path").EnumerateArray().Select(e => e.GetString()!).ToArray();
            return (lib, path);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or JsonException or InvalidOperationException or KeyNotFoundException)
        {
            return null;
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>A Python call running on some thread: interruptible until <see cref="Finished"/>, which is set holding the GIL.</summary>
internal sealed class PythonCall(ulong threadId)
{
    public ulong ThreadId { get; } = threadId;

    public bool Finished { get; set; }
}

/// <summary>The embedded Python cannot be used; the message says why and what to set.</summary>
internal sealed class PythonUnavailableException(string message) : Exception(message);
