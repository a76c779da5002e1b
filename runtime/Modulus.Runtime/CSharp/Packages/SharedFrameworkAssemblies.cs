using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using NuGet.Versioning;

namespace Modulus.Runtime.CSharp.Packages;

/// <summary>
/// The assemblies of the shared framework the host runs on (Microsoft.NETCore.App) and their
/// versions, read from the framework's own files, so that a package whose assemblies the framework
/// already carries in the same or a higher version is not restored: the framework's copy would win
/// at run time anyway, and compiling against the package's older copy only invites conflicts.
/// </summary>
internal sealed class SharedFrameworkAssemblies
{
    private readonly Lazy<IReadOnlyDictionary<string, Version>> _versions;

    /// <summary>Reads the framework in <paramref name="directory"/>.</summary>
    public SharedFrameworkAssemblies(string directory)
    {
        _versions = new Lazy<IReadOnlyDictionary<string, Version>>(() => Read(directory));
    }

    /// <summary>The framework this process runs on.</summary>
    public static SharedFrameworkAssemblies Current { get; } = new(Path.GetDirectoryName(typeof(object).Assembly.Location)!);

    /// <summary>The framework's version of assembly <paramref name="name"/>, or null if it has none.</summary>
    public Version? VersionOf(string name) => _versions.Value.TryGetValue(name, out var version) ? version : null;

    /// <summary>
    /// Whether the framework surely provides package <paramref name="id"/> at <paramref name="minimum"/>
    /// without looking into the package: it has an assembly of that name whose version is at least the
    /// package version. Libraries that ship both in the framework and as packages never give their
    /// assembly a higher version than their package (System.Memory 4.5.5 carries 4.0.1.2,
    /// System.Text.Json 10.0.3 carries 10.0.0.0), so this never drops a package the framework lacks;
    /// the cases it cannot decide are settled by <see cref="ProvidesAll"/> once the package is at hand.
    /// </summary>
    public bool SurelyProvides(string id, NuGetVersion? minimum)
    {
        var version = VersionOf(id);
        return version is not null && minimum is not null && version >= new Version(minimum.Major, minimum.Minor, minimum.Patch, Math.Max(minimum.Revision, 0));
    }

    /// <summary>Whether every one of <paramref name="assemblies"/> (paths) is in the framework in the same or a higher assembly version.</summary>
    public bool ProvidesAll(IReadOnlyCollection<string> assemblies) =>
        assemblies.Count > 0 && assemblies.All(path =>
            ReadIdentity(path) is { } identity && VersionOf(identity.Name) is { } framework && framework >= identity.Version);

    private static Dictionary<string, Version> Read(string directory)
    {
        var versions = new Dictionary<string, Version>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in Directory.EnumerateFiles(directory, "*.dll"))
        {
            if (ReadIdentity(path) is { } identity)
            {
                versions[identity.Name] = identity.Version;
            }
        }

        return versions;
    }

    /// <summary>The assembly name and version in a file's metadata, or null for a file that is not a managed assembly.</summary>
    internal static (string Name, Version Version)? ReadIdentity(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata)
            {
                return null;
            }

            var reader = pe.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                return null;
            }

            var definition = reader.GetAssemblyDefinition();
            return (reader.GetString(definition.Name), definition.Version);
        }
        catch (BadImageFormatException)
        {
            return null; // a native library that happens to end in .dll
        }
    }
}
