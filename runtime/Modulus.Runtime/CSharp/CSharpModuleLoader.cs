using System.Diagnostics;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Runtime.CSharp.Packages;
using Modulus.Runtime.Loading;
using Modulus.Protocol;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Module = Modulus.Sdk.Module;
using Modulus.Modules;

namespace Modulus.Runtime.CSharp;

/// <summary>
/// Loads C# modules: source folders are compiled (or taken from the cache when their sources are
/// unchanged), prebuilt assemblies are loaded as they are; each load gets its own collectible context.
/// </summary>
internal sealed class CSharpModuleLoader(CSharpCompiler compiler, IOptions<ModulusRuntimeOptions> options, ILogger<CSharpModuleLoader> logger) : IModuleLoader
{
    private readonly string _cacheDirectory = Path.Combine(options.Value.CacheDirectory ?? Path.Combine(ModulusHome.Path, "cache"), "csharp");

    private readonly Lazy<ModulePackageRestorer> _packages = new(() => new ModulePackageRestorer(
        new ModulePackageRestorerOptions { CacheDirectory = options.Value.PackagesDirectory ?? Path.Combine(ModulusHome.Path, "packages") }, logger));

    public string Language => "csharp";

    public async Task<LoadedModule> LoadAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        var manifest = source.Manifest;
        var files = ModuleFiles.Enumerate(source.Directory);
        var contentHash = ModulePackage.HashOf(source.Directory);
        var packages = await RestorePackagesAsync(source, cancellationToken).ConfigureAwait(false);
        byte[] image;
        if (manifest.EntryFile.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            image = await File.ReadAllBytesAsync(Path.Combine(source.Directory, manifest.EntryFile), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var sources = files.Where(f => f.EndsWith(".cs", StringComparison.OrdinalIgnoreCase)).ToList();
            image = await CompileOrReuseAsync(source, sources, contentHash, packages, cancellationToken).ConfigureAwait(false);
        }

        var context = new ModuleLoadContext($"module:{source.Name}", source.Directory, packages.RuntimeAssemblies, packages.NativeLibraries);
        try
        {
            Assembly assembly;
            using (var stream = new MemoryStream(image, writable: false))
            {
                assembly = context.LoadFromStream(stream);
            }

            var moduleType = FindModuleType(source, assembly);
            var endpoints = Describe(source, moduleType);
            Module instance;
            try
            {
                instance = (Module)Activator.CreateInstance(moduleType)!;
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw Fault(source, $"the constructor of {moduleType.Name} threw {ex.InnerException.GetType().Name}: {ex.InnerException.Message}");
            }
            catch (MissingMethodException)
            {
                throw Fault(source, $"{moduleType.Name} needs a public constructor without parameters");
            }

            instance.Environment = new ModuleEnvironment(source.Name, manifest.Version.Value, source.Directory);
            try
            {
                await instance.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw Fault(source, $"{moduleType.Name}.InitializeAsync threw {ex.GetType().Name}: {ex.Message}");
            }

            var info = new ModuleInfo(source.Name, manifest.Version.Value, Language, manifest.Description, manifest.Tags, endpoints.Select(e => e.Schema).ToArray(), contentHash);
            return new CSharpLoadedModule(source, info, instance, endpoints, context);
        }
        catch
        {
            context.Unload();
            throw;
        }
    }

    private async Task<RestoredPackages> RestorePackagesAsync(ModuleSource source, CancellationToken cancellationToken)
    {
        if (source.Manifest.Packages.Count == 0)
        {
            return RestoredPackages.Empty;
        }

        try
        {
            return await _packages.Value.RestoreAsync(source.Manifest.Packages, cancellationToken).ConfigureAwait(false);
        }
        catch (PackageRestoreException ex)
        {
            throw new ModuleLoadException(new ModuleFault(source.ManifestPath, ex.Message));
        }
    }

    private async Task<byte[]> CompileOrReuseAsync(ModuleSource source, IReadOnlyList<string> sources, string contentHash, RestoredPackages packages, CancellationToken cancellationToken)
    {
        // The content hash covers every file and the manifest; the rest of what changes the output is
        // the toolchain, the restored closure (a dependency restored in another version must
        // recompile) and the name the assembly is given.
        var packageList = string.Join(",", packages.Packages.Select(p => $"{p.Id}@{p.Version}"));
        var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{contentHash};{CSharpCompiler.ToolchainStamp};packages={packageList};name={source.Name}")));
        var cached = Path.Combine(_cacheDirectory, key + ".dll");
        var stamp = cached + ".sha256";
        if (File.Exists(cached))
        {
            // A cached image is used only when its bytes are the ones written: a file cut short (a
            // full disk, a crash between write and rename on a file system that reorders them) or
            // overwritten would otherwise fail every load with "Bad IL format", for good.
            var bytes = await File.ReadAllBytesAsync(cached, cancellationToken).ConfigureAwait(false);
            var recorded = File.Exists(stamp) ? (await File.ReadAllTextAsync(stamp, cancellationToken).ConfigureAwait(false)).Trim() : null;
            if (recorded is not null && string.Equals(recorded, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), StringComparison.Ordinal))
            {
                RuntimeLog.CompileCacheHit(logger, source.Name, key[..12]);
                return bytes;
            }

            RuntimeLog.CompileCacheCorrupt(logger, source.Name, cached, recorded is null ? "its hash is not recorded" : "its bytes do not match the hash recorded");
            TryDelete(cached);
            TryDelete(stamp);
        }

        var stopwatch = Stopwatch.StartNew();
        // Compiling is CPU-bound; keep it off the caller's thread.
        var image = await Task.Run(() => compiler.Compile(source, sources, AssemblyNameFor(source.Name, key), packages.CompileAssemblies), cancellationToken).ConfigureAwait(false);
        RuntimeLog.Compiled(logger, source.Name, sources.Count, stopwatch.ElapsedMilliseconds);
        try
        {
            Directory.CreateDirectory(_cacheDirectory);
            var temporary = cached + "." + Environment.ProcessId + ".tmp";
            await File.WriteAllBytesAsync(temporary, image, cancellationToken).ConfigureAwait(false);
            File.Move(temporary, cached, overwrite: true);
            // The hash goes last: a crash before it leaves an entry that is recompiled, never one trusted.
            var stampTemporary = stamp + "." + Environment.ProcessId + ".tmp";
            await File.WriteAllTextAsync(stampTemporary, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image)), cancellationToken).ConfigureAwait(false);
            File.Move(stampTemporary, stamp, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RuntimeLog.CompileCacheUnwritable(logger, _cacheDirectory, ex.Message);
        }

        return image;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left in place, it is overwritten by the recompiled entry below, or checked and refused again next time.
        }
    }

    private static string AssemblyNameFor(string moduleName, string key) => $"Modulus.Module.{moduleName}.{key[..12]}";

    private static Type FindModuleType(ModuleSource source, Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            throw Fault(source, $"its assembly's types cannot be loaded: {ex.LoaderExceptions.FirstOrDefault()?.Message}");
        }

        var candidates = types.Where(t => t.IsPublic && !t.IsAbstract && typeof(Module).IsAssignableFrom(t)).ToList();
        var wanted = source.Manifest.EntryClass;
        if (wanted is not null)
        {
            return candidates.FirstOrDefault(t => t.Name == wanted || t.FullName == wanted)
                ?? throw Fault(source, $"entry class \"{wanted}\" is not a public class deriving from Modulus.Sdk.Module (found: {Names(candidates)})");
        }

        return candidates.Count switch
        {
            1 => candidates[0],
            0 => throw Fault(source, "no public class derives from Modulus.Sdk.Module; add one, e.g. `public sealed class MyModule : Module { public string Forward(string text) => text; }`"),
            _ => throw Fault(source, $"several classes derive from Modulus.Sdk.Module ({Names(candidates)}); name one in \"entry\", e.g. \"{source.Manifest.EntryFile}:{candidates[0].Name}\""),
        };
    }

    private static IReadOnlyList<CSharpEndpoint> Describe(ModuleSource source, Type moduleType)
    {
        try
        {
            var endpoints = CSharpEndpoint.Discover(moduleType);
            return endpoints.Count > 0
                ? endpoints
                : throw Fault(source, $"{moduleType.Name} has no endpoints; add a public Forward method or mark methods with [Endpoint]");
        }
        catch (InvalidOperationException ex)
        {
            throw Fault(source, ex.Message);
        }
    }

    private static string Names(IEnumerable<Type> types) => string.Join(", ", types.Select(t => t.Name).DefaultIfEmpty("none"));

    private static ModuleLoadException Fault(ModuleSource source, string reason) =>
        new(new ModuleFault(Path.Combine(source.Directory, source.Manifest.EntryFile), reason));
}

/// <summary>A loaded C# module: one instance, its endpoints, and the context to unload.</summary>
internal sealed class CSharpLoadedModule : LoadedModule
{
    private readonly Module _instance;
    private readonly Dictionary<string, CSharpEndpoint> _endpoints;
    private ModuleLoadContext? _context;

    public CSharpLoadedModule(ModuleSource source, ModuleInfo info, Module instance, IReadOnlyList<CSharpEndpoint> endpoints, ModuleLoadContext context)
        : base(source, info)
    {
        _instance = instance;
        _endpoints = endpoints.ToDictionary(e => e.Schema.Name, StringComparer.Ordinal);
        _context = context;
    }

    /// <summary>A weak handle on the load context, to observe that an unload really frees it.</summary>
    internal WeakReference ContextReference => new(_context);

    public override ValueTask<Value> InvokeAsync(EndpointSchema endpoint, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream = null) =>
        _endpoints[endpoint.Name].InvokeAsync(_instance, arguments, context, stream);

    public override async ValueTask DisposeAsync()
    {
        await _instance.DisposeAsync().ConfigureAwait(false);
        _context?.Unload();
        _context = null;
    }
}
