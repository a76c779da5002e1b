using System.Diagnostics;
using Modulus.Testing;

namespace Modulus.Modules.Tests;

/// <summary>
/// The README's recipe for building a package with stock tools (find, sort, GNU tar) gives the same
/// bytes, so a third party can compute a module's content hash without Modulus.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class TarRecipeTests : IDisposable
{
    /// <summary>The recipe as the README gives it, run in the module's folder; writes the package to $OUT.</summary>
    public const string Recipe = """
        find . -mindepth 1 \( -name '.*' -o -name bin -o -name obj -o -name __pycache__ -o -name node_modules \) -prune \
            -o -type f ! -name '*.pyc' -print | sed 's|^\./||' | LC_ALL=C sort \
          | tar --create --format=ustar --no-recursion --files-from=- --blocking-factor=1 \
                --owner=0 --group=0 --numeric-owner --mtime=@0 --mode='go-w,a+rX,u+w' --file="$OUT"
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "modulus-tar-recipe-" + Guid.NewGuid().ToString("N"));

    public TarRecipeTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Recipe_OnAModuleWithEveryKindOfFile_GivesThePackageByteForByte()
    {
        var module = Path.Combine(_root, "m");
        Write(module, "module.json", """{ "name": "demo.everything", "version": "1.0.0", "language": "python", "entry": "module.py" }""");
        Write(module, "module.py", "import modulus\n");
        Write(module, "a.txt", "sorted before a/ by bytes ('.' < '/')");
        Write(module, "a/b.txt", "nested");
        Write(module, "Zed.txt", "upper case sorts first");
        Write(module, "empty.bin", string.Empty);
        Write(module, "block.bin", new string('x', 512));
        Write(module, "héllo wörld.txt", "non-ASCII and a space");
        var deep = string.Join('/', Enumerable.Range(0, 12).Select(i => $"folder{i:00}")) + "/a-file-name-that-makes-the-path-longer-than-one-hundred-bytes.txt";
        Write(module, deep, "a path split into ustar's prefix and name");
        var tool = Write(module, "tools/run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var privateFile = Write(module, "private.txt", "mode 0600 packs as 0644");
        File.SetUnixFileMode(privateFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Write(module, ".hidden", "left out");
        Write(module, ".git/config", "left out");
        Write(module, "bin/Debug/x.dll", "left out");
        Write(module, "sub/obj/y", "left out");
        Write(module, "__pycache__/m.cpython-311.pyc", "left out");
        Write(module, "lib/z.pyc", "left out");

        var packed = ModulePackage.Pack(module);
        var stock = RunRecipe(module);

        Assert.Contains(deep, packed.Files);
        Assert.DoesNotContain(packed.Files, f => f.Contains(".hidden") || f.StartsWith("bin/") || f.EndsWith(".pyc"));
        Assert.Equal(packed.Bytes.Length, stock.Length);
        Assert.True(packed.Bytes.AsSpan().SequenceEqual(stock), $"the recipe's package differs from Modulus's at byte {FirstDifference(packed.Bytes, stock)}");
        Assert.Equal(packed.Sha256, ContentHash.Of(stock));
        Assert.Equal(packed.Sha256, ModulePackage.HashOf(module));
    }

    [Fact]
    public void Recipe_OnEveryShippedModule_GivesItsContentHash()
    {
        var shipped = Directory.EnumerateFiles(RepositoryPaths.Modules, ModuleManifest.FileName, SearchOption.AllDirectories)
            .Select(Path.GetDirectoryName)
            .Where(d => !d!.Split(Path.DirectorySeparatorChar).Any(ModuleFiles.IsIgnoredDirectory))
            .ToList();
        Assert.NotEmpty(shipped);
        foreach (var module in shipped)
        {
            var hash = ModulePackage.HashOf(module!);
            Assert.Equal(ModulePackage.Pack(module!).Sha256, hash);
            Assert.Equal(hash, ContentHash.Of(RunRecipe(module!)));
        }
    }

    private byte[] RunRecipe(string module)
    {
        var output = Path.Combine(_root, Guid.NewGuid().ToString("N") + ".tar");
        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", Recipe])
        {
            WorkingDirectory = module,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["OUT"] = output;
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"the recipe failed: {errors}");
        return File.ReadAllBytes(output);
    }

    private static string Write(string module, string relative, string content)
    {
        var path = Path.Combine(module, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private static int FirstDifference(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        for (var i = 0; i < n; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return n;
    }
}
