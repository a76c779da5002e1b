using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Python.Runtime;

namespace Modulus.Runtime.Python;

/// <summary>
/// Owns the embedded CPython: finds its shared library, starts the engine once, and hands out the
/// host-side helper module. The rest of the runtime touches pythonnet only through this service and
/// only inside short <c>Py.GIL()</c> scopes.
/// </summary>
internal sealed class PythonInterpreter(IOptions<ModulusRuntimeOptions> options, ILogger<PythonInterpreter> logger)
{
    /// <summary>The interpreter used when no setting names one: Debian's, where its python3-* packages land.</summary>
    private const string SystemInterpreter = "/usr/bin/python3";

    /// <summary>Whether the engine could be started, and why not.</summary>
    public string? StartError => Embedded.StartError;

    /// <summary>The <c>modulus._host</c> module. Use it only while holding the GIL.</summary>
    public PyObject Host => Embedded.Host ?? throw new InvalidOperationException("The Python engine is not started.");

    /// <summary>Starts the engine if it is not running.</summary>
    /// <exception cref="PythonUnavailableException">No usable libpython, or the engine failed to start.</exception>
    public void EnsureStarted()
    {
        lock (Embedded.Gate)
        {
            if (Embedded.Host is not null)
            {
                return;
            }

            if (Embedded.StartError is not null)
            {
                throw new PythonUnavailableException(Embedded.StartError);
            }

            try
            {
                Start();
            }
            catch (Exception ex) when (ex is not PythonUnavailableException)
            {
                Embedded.StartError = $"the embedded Python failed to start: {ex.GetType().Name}: {ex.Message}";
                throw new PythonUnavailableException(Embedded.StartError);
            }
            catch (PythonUnavailableException ex)
            {
                Embedded.StartError = ex.Message;
                throw;
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
            Embedded.Host = Py.Import("modulus._host");
            using var version = sys.GetAttr("version");
            RuntimeLog.PythonStarted(logger, library, version.ToString()!.Split(' ')[0], stopwatch.ElapsedMilliseconds);
        }

        StopTrackingAssemblyLoads();

        // The thread that initialised the engine holds the GIL until it is released here;
        // from now on every use takes it with Py.GIL() and gives it back at once.
        PythonEngine.BeginAllowThreads();
    }

    /// <summary>
    /// pythonnet records every assembly loaded after the engine starts, in a static queue, so that
    /// Python code can import .NET namespaces. That queue would keep every unloaded version of every
    /// C# module alive for good. Module assemblies are never imported from Python, so the hook goes.
    /// </summary>
    private void StopTrackingAssemblyLoads()
    {
        var field = typeof(PythonEngine).Assembly.GetType("Python.Runtime.AssemblyManager")
            ?.GetField("lhandler", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
        if (field?.GetValue(null) is AssemblyLoadEventHandler handler)
        {
            AppDomain.CurrentDomain.AssemblyLoad -= handler;
        }
        else
        {
            RuntimeLog.PythonTracksAssemblies(logger);
        }
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

    /// <summary>
    /// CPython can be initialised once per process, so its state is process-wide by nature;
    /// it lives here, reachable only through <see cref="PythonInterpreter"/>.
    /// </summary>
    private static class Embedded
    {
        public static readonly Lock Gate = new();

        public static PyObject? Host { get; set; }

        public static string? StartError { get; set; }
    }

    /// <summary>
    /// Gives the calling thread a Python thread state that outlives each <c>Py.GIL()</c> scope. Without
    /// it, every scope on a pool thread creates a thread state and deletes it again on release, which
    /// was most of what a call into a Python module cost; with it, a scope only takes and gives back the GIL.
    /// </summary>
    public static void KeepThreadState()
    {
        if (t_keptThreadState is not null)
        {
            return;
        }

        // Never disposed, and never finalized (its finalizer would insist on a release from this
        // thread): the thread state lives as long as the thread, and Python's shutdown frees it.
        var state = Py.GIL();
        GC.SuppressFinalize(state);
        t_keptThreadState = state;
        PythonEngine.BeginAllowThreads();
    }

    /// <summary>
    /// The calling thread's Python thread id, for interrupting a call past its deadline; asked of
    /// Python once per thread (pythonnet asks by importing threading each time). Call it holding the GIL.
    /// </summary>
    public static ulong CurrentThreadId()
    {
        if (t_pythonThreadId == 0)
        {
            t_pythonThreadId = PythonEngine.GetPythonThreadID();
        }

        return t_pythonThreadId;
    }

    [ThreadStatic]
    private static Py.GILState? t_keptThreadState;

    [ThreadStatic]
    private static ulong t_pythonThreadId;
}

/// <summary>The embedded Python cannot be used; the message says why and what to set.</summary>
internal sealed class PythonUnavailableException(string message) : Exception(message);
