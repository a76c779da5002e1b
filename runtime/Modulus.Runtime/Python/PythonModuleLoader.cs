using System.Text.Json;
using Microsoft.Extensions.Logging;
using Modulus.Runtime.Loading;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Python.Runtime;
using TypeSpec = Modulus.Sdk.TypeSpec;
using Modulus.Modules;

namespace Modulus.Runtime.Python;

/// <summary>
/// Loads Python modules into the embedded interpreter: each module folder is imported as a package
/// of its own (a fresh one per load, so a reload runs the new code), and its class instantiated.
/// </summary>
internal sealed class PythonModuleLoader(PythonInterpreter interpreter, ILogger<PythonModuleLoader> logger) : IModuleLoader
{
    public string Language => "python";

    public Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        var entryPath = Path.Combine(source.Directory, source.Manifest.EntryFile);
        try
        {
            interpreter.EnsureStarted();
        }
        catch (PythonUnavailableException ex)
        {
            throw new ModuleLoadException(new ModuleFault(entryPath, ex.Message));
        }

        var manifest = source.Manifest;
        var contentHash = ModulePackage.HashOf(source.Directory);
        // Unique across every loader in the process: two hosts in one process share the interpreter and
        // its sys.modules, so a per-loader counter would let one host's import answer another's.
        var package = $"{source.Name}_{Guid.NewGuid():N}";

        // Importing runs module code; keep it off the caller's thread like any other long call.
        return Task.Run<LoadedModule>(() =>
        {
            using (Py.GIL())
            {
                if (manifest.Imports.Count > 0)
                {
                    // The manifest's "imports" are checked before any module code runs, so a missing
                    // library is named with what to install rather than surfacing as a traceback.
                    using var names = new PyList(manifest.Imports.Select(i => (PyObject)new PyString(i)).ToArray());
                    using var missing = interpreter.Host.InvokeMethod("missing_imports", names);
                    if (!missing.IsNone())
                    {
                        throw new ModuleLoadException(new ModuleFault(source.ManifestPath, missing.As<string>()));
                    }
                }

                PyObject instance;
                string schemaJson;
                try
                {
                    using var result = interpreter.Host.InvokeMethod(
                        "load",
                        new PyString(package),
                        new PyString(source.Directory),
                        new PyString(manifest.EntryFile),
                        manifest.EntryClass is null ? PyObject.None : new PyString(manifest.EntryClass),
                        new PyString(source.Name),
                        new PyString(manifest.Version.Value));
                    instance = result[0];
                    using var schemaObject = result[1];
                    schemaJson = schemaObject.As<string>();
                }
                catch (PythonException ex)
                {
                    throw new ModuleLoadException(new ModuleFault(entryPath, PythonErrors.Describe(ex, "import failed")));
                }

                var endpoints = ParseSchema(schemaJson);
                var info = new ModuleInfo(source.Name, manifest.Version.Value, Language, manifest.Description, manifest.Tags, endpoints.Select(e => e.Schema).ToArray(), contentHash);
                RuntimeLog.PythonModuleImported(logger, source.Name, package);
                return new PythonLoadedModule(source, info, interpreter, instance, package, endpoints.ToDictionary(e => e.Schema.Name, e => e.Method));
            }
        }, cancellationToken);
    }

    private static List<(EndpointSchema Schema, string Method)> ParseSchema(string json)
    {
        using var document = JsonDocument.Parse(json);
        var endpoints = new List<(EndpointSchema, string)>();
        foreach (var e in document.RootElement.EnumerateArray())
        {
            var parameters = e.GetProperty("parameters").EnumerateArray().Select(p => new ParameterSchema(
                p.GetProperty("name").GetString()!,
                TypeSpec.Parse(p.GetProperty("type").GetString()),
                p.GetProperty("required").GetBoolean(),
                p.GetProperty("default").ValueKind == JsonValueKind.String ? p.GetProperty("default").GetString() : null)).ToArray();
            var description = e.GetProperty("description").GetString();
            endpoints.Add((
                new EndpointSchema(e.GetProperty("name").GetString()!, parameters, TypeSpec.Parse(e.GetProperty("returns").GetString()), string.IsNullOrEmpty(description) ? null : description)
                {
                    Idempotent = e.TryGetProperty("idempotent", out var idempotent) && idempotent.ValueKind == JsonValueKind.True,
                    Streaming = e.TryGetProperty("streaming", out var streaming) && streaming.ValueKind == JsonValueKind.True,
                },
                e.GetProperty("method").GetString()!));
        }

        return endpoints;
    }
}

/// <summary>A loaded Python module: its instance in the embedded interpreter and its endpoint methods.</summary>
internal sealed class PythonLoadedModule(
    ModuleSource source,
    ModuleInfo info,
    PythonInterpreter interpreter,
    PyObject instance,
    string package,
    IReadOnlyDictionary<string, string> methods) : LoadedModule(source, info)
{
    public override ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream = null)
    {
        if (endpoint.Streaming)
        {
            return StreamAsync(endpoint, arguments, context, stream ?? throw new InvalidOperationException($"{endpoint.Name} streams: it needs a stream to write to"));
        }

        var methodName = methods[endpoint.Name];
        using (Py.GIL())
        {
            // A call past its deadline is interrupted inside Python (KeyboardInterrupt in its thread),
            // by the interpreter's thread holding the GIL (see PythonInterpreter.Interrupt).
            var call = interpreter.BeginCall();
            var registration = context.CancellationToken.CanBeCanceled
                ? context.CancellationToken.Register(static state => ((Action)state!)(), () => interpreter.Interrupt(call))
                : default;
            try
            {
                using var result = Start(endpoint, arguments);
                return ValueTask.FromResult(PythonValueConverter.FromPython(result, interpreter.Host));
            }
            catch (PythonException ex)
            {
                if (context.CancellationToken.IsCancellationRequested && PythonErrors.IsKeyboardInterrupt(ex))
                {
                    throw new OperationCanceledException(context.CancellationToken);
                }

                throw PythonErrors.ToModulusException(ex, $"{Info.Name}/{endpoint.Name}");
            }
            finally
            {
                call.Finished = true;
                registration.Dispose();
                if (context.CancellationToken.IsCancellationRequested)
                {
                    PythonErrors.DiscardPendingInterrupt();
                }
            }
        }
    }

    /// <summary>Calls the endpoint's method with the bound arguments as keywords; holds the GIL.</summary>
    private PyObject Start(EndpointSchema endpoint, Value?[] arguments)
    {
        using var kwargs = new PyDict();
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i] is { } argument)
            {
                using var value = PythonValueConverter.ToPython(argument, interpreter.Host);
                kwargs[endpoint.Parameters[i].Name] = value;
            }
        }

        using var method = instance.GetAttr(methods[endpoint.Name]);
        return method.Invoke(Array.Empty<PyObject>(), kwargs);
    }

    /// <summary>
    /// Runs a generator endpoint: each item is taken from the generator holding the GIL, converted,
    /// and written with the GIL released, so that the next item is made only once the previous one
    /// was taken (the producer never runs ahead of its caller) and other calls run meanwhile. A
    /// cancelled call interrupts the generator inside Python, as a plain call is, and closes it.
    /// </summary>
    private async ValueTask<Value> StreamAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter stream)
    {
        var target = $"{Info.Name}/{endpoint.Name}";
        var cancellation = context.CancellationToken;
        PyObject generator;
        PyIter iterator;
        using (Py.GIL())
        {
            try
            {
                generator = Start(endpoint, arguments);
                iterator = PyIter.GetIter(generator);
            }
            catch (PythonException ex)
            {
                throw PythonErrors.ToModulusException(ex, target);
            }
        }

        try
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                Value? item = null;
                using (Py.GIL())
                {
                    var call = interpreter.BeginCall();
                    var registration = cancellation.CanBeCanceled
                        ? cancellation.Register(static state => ((Action)state!)(), () => interpreter.Interrupt(call))
                        : default;
                    try
                    {
                        if (iterator.MoveNext())
                        {
                            using var next = iterator.Current;
                            item = PythonValueConverter.FromPython(next, interpreter.Host);
                        }
                    }
                    catch (PythonException ex)
                    {
                        if (cancellation.IsCancellationRequested && PythonErrors.IsKeyboardInterrupt(ex))
                        {
                            throw new OperationCanceledException(cancellation);
                        }

                        throw PythonErrors.ToModulusException(ex, target);
                    }
                    finally
                    {
                        call.Finished = true;
                        registration.Dispose();
                        if (cancellation.IsCancellationRequested)
                        {
                            PythonErrors.DiscardPendingInterrupt();
                        }
                    }
                }

                if (item is null)
                {
                    return Value.Null;
                }

                await stream(item, cancellation).ConfigureAwait(false);
            }
        }
        finally
        {
            using (Py.GIL())
            {
                // Closing runs the generator's finally blocks now, not whenever it is collected.
                try
                {
                    if (generator.HasAttr("close"))
                    {
                        generator.InvokeMethod("close").Dispose();
                    }
                }
                catch (PythonException)
                {
                    // Its clean-up failed; the stream is over either way.
                }

                iterator.Dispose();
                generator.Dispose();
            }
        }
    }

    public override ValueTask DisposeAsync()
    {
        using (Py.GIL())
        {
            try
            {
                interpreter.Host.InvokeMethod("unload", new PyString(package), instance).Dispose();
            }
            catch (PythonException)
            {
                // teardown failed; the module is gone either way.
            }
            finally
            {
                instance.Dispose();
            }
        }

        return ValueTask.CompletedTask;
    }
}
