namespace Modulus.Runtime;

/// <summary>Settings of the module runtime (section <c>Modulus:Runtime</c>).</summary>
public sealed class ModulusRuntimeOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Modulus:Runtime";

    /// <summary>The root of the module tree to serve.</summary>
    public string TreeRoot { get; set; } = "modules";

    /// <summary>Where compiled C# modules are cached by content hash. Defaults to <c>$MODULUS_HOME/cache</c>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Where the NuGet packages of C# modules are restored. Defaults to <c>$MODULUS_HOME/packages</c>.</summary>
    public string? PackagesDirectory { get; set; }

    /// <summary>Whether to watch the tree and reload changed, added and removed modules.</summary>
    public bool Watch { get; set; } = true;

    /// <summary>
    /// How often the tree is rescanned even without a file event. File watching can miss files written
    /// into a folder just created (the watch on the new folder comes after them); this catches them.
    /// A rescan reads file sizes and times only, and reloads nothing that did not change.
    /// </summary>
    public TimeSpan RescanInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the tree must be quiet after a change before it is rescanned.</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The embedded Python interpreter (started in the worker processes of Python modules).</summary>
    public PythonOptions Python { get; set; } = new();

    /// <summary>The worker processes modules run in.</summary>
    public WorkerOptions Workers { get; set; } = new();
}

/// <summary>Settings of the embedded CPython (section <c>Modulus:Runtime:Python</c>).</summary>
public sealed class PythonOptions
{
    /// <summary>
    /// The path of libpython (e.g. <c>libpython3.11.so.1.0</c>). When unset, the library of <see cref="Executable"/>
    /// is used. The CLI maps <c>MODULUS_PYTHON_LIBRARY</c> here.
    /// </summary>
    public string? Library { get; set; }

    /// <summary>
    /// The interpreter whose library and packages to use. When unset, <c>/usr/bin/python3</c> (where
    /// Debian's python3-numpy lands), then <c>python3</c> on PATH. The CLI maps <c>MODULUS_PYTHON</c> here.
    /// </summary>
    public string? Executable { get; set; }

    /// <summary>The folder holding the <c>modulus</c> Python package; found next to the host when unset.</summary>
    public string? SdkPath { get; set; }
}
