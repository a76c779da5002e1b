using System.Formats.Tar;
using System.Text;
using Modulus.Testing;

namespace Modulus.Modules.Tests;

public sealed class ModulePackageTests : IDisposable
{
    private const string Manifest = """
        {
          "version": "1.2.3",
          "language": "python",
          "entry": "module.py",
          "description": "Counts words.",
          "tags": ["text", "stats"]
        }
        """;

    private readonly PackagingTempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    // ---- determinism -------------------------------------------------------------------------

    [Fact]
    public void Pack_SameFolderTwice_GivesIdenticalBytesAndHash()
    {
        var module = MakeModule("m");

        var first = ModulePackage.Pack(module);
        var second = ModulePackage.Pack(module);

        Assert.Equal(first.Bytes, second.Bytes);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(ContentHash.Of(first.Bytes), first.Sha256);
        Assert.Matches("^[0-9a-f]{64}$", first.Sha256);
    }

    [Fact]
    public void Pack_CopyElsewhereWithOtherMtimes_GivesSameHash()
    {
        var original = MakeModule("original");
        var copy = Path.Combine(temp.Path, "elsewhere", "deeper", "copy");
        CopyDirectory(original, copy);
        var times = new[] { new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc), new DateTime(2030, 7, 8, 9, 10, 11, DateTimeKind.Utc) };
        var i = 0;
        foreach (var file in Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, times[i++ % 2]);
        }

        Assert.Equal(ModulePackage.Pack(original).Sha256, ModulePackage.Pack(copy).Sha256);
    }

    [Fact]
    public void Pack_RealRepositoryModules_AreDeterministicAndReadTheirManifest()
    {
        var root = Modulus.Testing.RepositoryPaths.Root;
        foreach (var relative in new[] { "modules/util/echo", "modules/text/stats" })
        {
            var folder = Path.Combine(root, relative);
            var copy = Path.Combine(temp.Path, relative);
            CopyDirectory(folder, copy);
            foreach (var file in Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories))
            {
                File.SetLastWriteTimeUtc(file, new DateTime(1999, 12, 31, 0, 0, 0, DateTimeKind.Utc));
            }

            var packed = ModulePackage.Pack(folder);
            Assert.Equal(packed.Sha256, ModulePackage.Pack(copy).Sha256);
            Assert.Contains("module.json", packed.Files);
            // The version the manifest declares, as read from the package.
            Assert.Equal(System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "module.json"))).RootElement.GetProperty("version").GetString(), packed.Manifest.Version.Value);
        }

        var echo = ModulePackage.Pack(Path.Combine(root, "modules", "util", "echo"));
        Assert.Equal("csharp", echo.Manifest.Language);
        Assert.Contains("Echo.cs", echo.Files);
    }

    [Fact]
    public void Pack_OneByteChanged_ChangesHash()
    {
        var module = MakeModule("m");
        var before = ModulePackage.Pack(module).Sha256;
        var path = Path.Combine(module, "module.py");
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        Assert.NotEqual(before, ModulePackage.Pack(module).Sha256);
    }

    [Fact]
    public void Pack_FileAdded_ChangesHashAndFiles()
    {
        var module = MakeModule("m");
        var before = ModulePackage.Pack(module);
        File.WriteAllText(Path.Combine(module, "extra.py"), "x = 1\n");

        var after = ModulePackage.Pack(module);

        Assert.NotEqual(before.Sha256, after.Sha256);
        Assert.Contains("extra.py", after.Files);
        Assert.DoesNotContain("extra.py", before.Files);
    }

    [Fact]
    public void Pack_FileRenamed_ChangesHash()
    {
        var module = MakeModule("m");
        var before = ModulePackage.Pack(module).Sha256;
        File.Move(Path.Combine(module, "lib", "helper.py"), Path.Combine(module, "lib", "helper2.py"));

        Assert.NotEqual(before, ModulePackage.Pack(module).Sha256);
    }

    [Fact]
    public void Pack_FilesAreSortedOrdinallyWithForwardSlashes()
    {
        var module = MakeModule("m");
        File.WriteAllText(Path.Combine(module, "B.py"), "b");
        File.WriteAllText(Path.Combine(module, "a.py"), "a");

        var packed = ModulePackage.Pack(module);

        Assert.Equal(packed.Files.OrderBy(f => f, StringComparer.Ordinal), packed.Files);
        Assert.Contains("lib/helper.py", packed.Files);
        Assert.All(packed.Files, f => Assert.DoesNotContain('\\', f));
        Assert.Equal(packed.Files, TarEntryNames(packed.Bytes));
    }

    [Fact]
    public void Pack_ArchiveEntriesCarryNoMachineSpecificMetadata()
    {
        var module = MakeModule("m");
        File.SetLastWriteTimeUtc(Path.Combine(module, "module.py"), new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var packed = ModulePackage.Pack(module);

        using var reader = new TarReader(new MemoryStream(packed.Bytes));
        var count = 0;
        while (reader.GetNextEntry() is { } entry)
        {
            count++;
            Assert.Equal(TarEntryFormat.Ustar, entry.Format);
            Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
            Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            Assert.Equal(0, entry.Uid);
            Assert.Equal(0, entry.Gid);
            var posix = Assert.IsType<UstarTarEntry>(entry);
            Assert.Equal(string.Empty, posix.UserName);
            Assert.Equal(string.Empty, posix.GroupName);
        }

        Assert.Equal(packed.Files.Count, count);
    }

    // ---- ignored content ---------------------------------------------------------------------

    [Theory]
    [InlineData("bin/Debug/out.dll")]
    [InlineData("obj/project.assets.json")]
    [InlineData("__pycache__/module.cpython-312.pyc")]
    [InlineData("node_modules/left-pad/index.js")]
    [InlineData("lib/__pycache__/helper.cpython-312.pyc")]
    [InlineData("lib/bin/tool")]
    [InlineData(".git/HEAD")]
    [InlineData(".git/objects/ab/cdef")]
    [InlineData(".env")]
    [InlineData("lib/.secret")]
    [InlineData(".hidden/file.py")]
    [InlineData("module.pyc")]
    [InlineData("lib/helper.pyc")]
    public void Pack_IgnoredContent_IsNotPackedAndLeavesHashUnchanged(string relative)
    {
        var module = MakeModule("m");
        var before = ModulePackage.Pack(module);

        var path = Path.Combine(module, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "should not be packed");
        var after = ModulePackage.Pack(module);

        Assert.Equal(before.Files, after.Files);
        Assert.Equal(before.Sha256, after.Sha256);
        Assert.DoesNotContain(after.Files, f => f.Contains(Path.GetFileName(relative), StringComparison.Ordinal));
    }

    [Fact]
    public void Pack_NestedModule_IsLeftOut()
    {
        var module = MakeModule("m");
        var before = ModulePackage.Pack(module);
        var nested = Path.Combine(module, "plugins", "inner");
        Directory.CreateDirectory(nested);
        File.WriteAllText(Path.Combine(nested, "module.json"), """{ "version": "0.0.1" }""");
        File.WriteAllText(Path.Combine(nested, "inner.py"), "print('inner')");

        var after = ModulePackage.Pack(module);

        Assert.Equal(before.Sha256, after.Sha256);
        Assert.DoesNotContain(after.Files, f => f.StartsWith("plugins/", StringComparison.Ordinal));

        // A sibling without module.json in the same parent is still packed: only the nested module is cut.
        File.WriteAllText(Path.Combine(module, "plugins", "own.py"), "own");
        Assert.Contains("plugins/own.py", ModulePackage.Pack(module).Files);
    }

    [Fact]
    public void Pack_FileSymlink_ThrowsNamingTheLink()
    {
        var module = MakeModule("m");
        var outside = Path.Combine(temp.Path, "outside.txt");
        File.WriteAllText(outside, "secret");
        var link = Path.Combine(module, "lib", "link.txt");
        File.CreateSymbolicLink(link, outside);

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Pack(module));

        Assert.Contains(link, ex.Message);
        Assert.Contains("symbolic link", ex.Message);
    }

    [Fact]
    public void Pack_DirectorySymlink_ThrowsNamingTheLink()
    {
        var module = MakeModule("m");
        var outside = Path.Combine(temp.Path, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "a.py"), "a");
        var link = Path.Combine(module, "linked");
        Directory.CreateSymbolicLink(link, outside);

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Pack(module));

        Assert.Contains(link, ex.Message);
    }

    // ---- invalid folders / manifests ---------------------------------------------------------

    [Fact]
    public void Pack_MissingManifest_Throws()
    {
        var module = Path.Combine(temp.Path, "nomanifest");
        Directory.CreateDirectory(module);
        File.WriteAllText(Path.Combine(module, "module.py"), "pass");

        var ex = Assert.Throws<ModuleManifestException>(() => ModulePackage.Pack(module));

        Assert.Contains("module.json", ex.Message);
    }

    [Fact]
    public void Pack_MissingFolder_Throws()
    {
        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Pack(Path.Combine(temp.Path, "absent")));

        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void Pack_InvalidManifest_ThrowsTheReadersError()
    {
        var module = MakeModule("m", manifest: """{ "version": "1.0", "language": "python", "entry": "module.py" }""");

        var ex = Assert.Throws<ModuleManifestException>(() => ModulePackage.Pack(module));

        Assert.Contains("is not a semantic version", ex.Message);
        Assert.EndsWith("module.json", ex.Path);
    }

    [Fact]
    public void Pack_ReadsManifestFields()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));

        Assert.Equal("1.2.3", packed.Manifest.Version.Value);
        Assert.Equal("python", packed.Manifest.Language);
        Assert.Equal("Counts words.", packed.Manifest.Description);
        Assert.Equal(["text", "stats"], packed.Manifest.Tags);
        Assert.Equal("sha256:" + packed.Sha256, packed.Uri);
    }

    [Fact]
    public void ReadManifest_OfRealPackage_ReturnsTheManifest()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));

        var manifest = ModulePackage.ReadManifest(packed.Bytes);

        Assert.NotNull(manifest);
        Assert.Equal(packed.Manifest.Version, manifest.Version);
        Assert.Equal(packed.Manifest.Language, manifest.Language);
        Assert.Equal(packed.Manifest.Description, manifest.Description);
        Assert.Equal(packed.Manifest.Tags, manifest.Tags);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(4096)]
    public void ReadManifest_OfGarbage_ThrowsNotAPackage(int length)
    {
        Assert.Throws<ModulePackageException>(() => ModulePackage.ReadManifest(Garbage(length)));
    }

    [Fact]
    public void ReadManifest_OfTarWithoutManifest_ThrowsSayingSo()
    {
        var tar = BuildTar(w => AddFile(w, "readme.txt", "hi"));

        Assert.Contains("no module.json", Assert.Throws<ModulePackageException>(() => ModulePackage.ReadManifest(tar)).Message);
    }

    // ---- round trip --------------------------------------------------------------------------

    [Fact]
    public void Unpack_RecreatesFilesWithSameContentAndRepacksToSameHash()
    {
        var module = MakeModule("m");
        var packed = ModulePackage.Pack(module);
        var target = Path.Combine(temp.Path, "out", "installed");

        var unpacked = ModulePackage.Unpack(packed.Bytes, packed.Sha256, target, overwrite: false);

        Assert.Equal(packed.Files, unpacked);
        var written = Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(target, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        Assert.Equal(packed.Files, written);
        foreach (var file in packed.Files)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(module, file)), File.ReadAllBytes(Path.Combine(target, file)));
        }

        Assert.Equal(packed.Sha256, ModulePackage.Pack(target).Sha256);
    }

    [Fact]
    public void Unpack_AcceptsUppercaseExpectedHash()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var target = Path.Combine(temp.Path, "out");

        ModulePackage.Unpack(packed.Bytes, packed.Sha256.ToUpperInvariant(), target, overwrite: false);

        Assert.True(File.Exists(Path.Combine(target, "module.json")));
    }

    [Fact]
    public void Unpack_KeepsExecuteBit()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // No Unix modes to keep.
        }

        var module = MakeModule("m");
        var script = Path.Combine(module, "run.sh");
        File.WriteAllText(script, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var packed = ModulePackage.Pack(module);
        var target = Path.Combine(temp.Path, "out");

        ModulePackage.Unpack(packed.Bytes, packed.Sha256, target, overwrite: false);

        var execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        Assert.Equal(execute, File.GetUnixFileMode(Path.Combine(target, "run.sh")) & execute);
        Assert.Equal((UnixFileMode)0, File.GetUnixFileMode(Path.Combine(target, "module.py")) & execute);
        Assert.Equal(packed.Sha256, ModulePackage.Pack(target).Sha256);
    }

    [Fact]
    public void Pack_ExecuteBit_ChangesHash()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var module = MakeModule("m");
        var before = ModulePackage.Pack(module).Sha256;
        var path = Path.Combine(module, "module.py");
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute);

        Assert.NotEqual(before, ModulePackage.Pack(module).Sha256);
    }

    // ---- hash mismatch -----------------------------------------------------------------------

    [Fact]
    public void Unpack_WrongHash_ThrowsWithBothHashesAndWritesNothing()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var wrong = new string('a', 64);
        var target = Path.Combine(temp.Path, "out", "installed");

        var ex = Assert.Throws<PackageHashMismatchException>(() => ModulePackage.Unpack(packed.Bytes, wrong, target, overwrite: false));

        Assert.Contains(wrong, ex.Message);
        Assert.Contains(packed.Sha256, ex.Message);
        Assert.Equal(wrong, ex.Expected);
        Assert.Equal(packed.Sha256, ex.Actual);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void Unpack_TamperedBytes_ThrowsMismatch()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var tampered = (byte[])packed.Bytes.Clone();
        tampered[600] ^= 0xff;
        var target = Path.Combine(temp.Path, "out");

        var ex = Assert.Throws<PackageHashMismatchException>(() => ModulePackage.Unpack(tampered, packed.Sha256, target, overwrite: true));

        Assert.Equal(ContentHash.Of(tampered), ex.Actual);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void Unpack_WrongHash_WithOverwrite_LeavesExistingFolderUntouched()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var target = Path.Combine(temp.Path, "existing");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");

        Assert.Throws<PackageHashMismatchException>(() => ModulePackage.Unpack(packed.Bytes, new string('0', 64), target, overwrite: true));

        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "keep.txt")));
    }

    // ---- existing target ---------------------------------------------------------------------

    [Fact]
    public void Unpack_ExistingFolderWithoutOverwrite_ThrowsIOExceptionAndLeavesFolder()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var target = Path.Combine(temp.Path, "existing");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");

        var ex = Assert.Throws<IOException>(() => ModulePackage.Unpack(packed.Bytes, packed.Sha256, target, overwrite: false));

        Assert.Contains("already exists", ex.Message);
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(target, "keep.txt")));
        Assert.Equal(["existing", "m"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Unpack_ExistingFolderWithOverwrite_ReplacesItAndLeavesNoStaging()
    {
        var module = MakeModule("m");
        var packed = ModulePackage.Pack(module);
        var parent = Path.Combine(temp.Path, "installs");
        var target = Path.Combine(parent, "mod");
        Directory.CreateDirectory(Path.Combine(target, "sub"));
        File.WriteAllText(Path.Combine(target, "old-extra.txt"), "old");
        File.WriteAllText(Path.Combine(target, "sub", "old.txt"), "old");
        File.WriteAllText(Path.Combine(target, "module.py"), "old content");

        ModulePackage.Unpack(packed.Bytes, packed.Sha256, target, overwrite: true);

        Assert.False(File.Exists(Path.Combine(target, "old-extra.txt")));
        Assert.False(Directory.Exists(Path.Combine(target, "sub")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(module, "module.py")), File.ReadAllBytes(Path.Combine(target, "module.py")));
        Assert.Equal(packed.Sha256, ModulePackage.Pack(target).Sha256);
        Assert.Equal(["mod"], Directory.GetFileSystemEntries(parent).Select(Path.GetFileName));
    }

    [Fact]
    public void Unpack_NewFolder_LeavesNoStagingInParent()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var parent = Path.Combine(temp.Path, "installs");
        Directory.CreateDirectory(parent);

        ModulePackage.Unpack(packed.Bytes, packed.Sha256, Path.Combine(parent, "a"), overwrite: false);
        ModulePackage.Unpack(packed.Bytes, packed.Sha256, Path.Combine(parent, "a"), overwrite: true);

        Assert.Equal(["a"], Directory.GetFileSystemEntries(parent).Select(Path.GetFileName));
    }

    // ---- malicious / broken archives ---------------------------------------------------------

    public static TheoryData<string> UnsafeNames => new()
    {
        "../evil.txt",
        "/abs.txt",
        "sub/../../evil.txt",
        "./module.py",
        ".hidden",
        "sub/.git/config",
        "a\\..\\evil.txt",
    };

    [Theory]
    [MemberData(nameof(UnsafeNames))]
    public void Unpack_TarWithUnsafePath_ThrowsAndWritesNothing(string name)
    {
        var parent = Path.Combine(temp.Path, "sandbox", "installs");
        Directory.CreateDirectory(parent);
        var target = Path.Combine(parent, "mod");
        var tar = BuildTar(w =>
        {
            AddFile(w, "module.json", """{ "version": "1.0.0" }""");
            AddFile(w, name, "pwned");
        });

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: false));

        Assert.Contains(name, ex.Message);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.GetFileSystemEntries(parent));
        Assert.Equal(["installs"], Directory.GetFileSystemEntries(Path.Combine(temp.Path, "sandbox")).Select(Path.GetFileName));
        Assert.False(File.Exists("/abs.txt") && File.ReadAllText("/abs.txt") == "pwned");
        Assert.Throws<ModulePackageException>(() => ModulePackage.ReadManifest(tar));
    }

    [Theory]
    [InlineData(TarEntryType.SymbolicLink)]
    [InlineData(TarEntryType.HardLink)]
    public void Unpack_TarWithLinkEntry_ThrowsAndWritesNothing(TarEntryType type)
    {
        var parent = Path.Combine(temp.Path, "installs");
        Directory.CreateDirectory(parent);
        var target = Path.Combine(parent, "mod");
        var tar = BuildTar(w =>
        {
            AddFile(w, "module.json", """{ "version": "1.0.0" }""");
            w.WriteEntry(new UstarTarEntry(type, "link") { LinkName = "/etc/passwd" });
        });

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: false));

        Assert.Contains("link", ex.Message);
        Assert.Contains("regular files only", ex.Message);
        Assert.False(Directory.Exists(target));
        Assert.Empty(Directory.GetFileSystemEntries(parent));
    }

    [Fact]
    public void Unpack_MaliciousTarWithOverwrite_LeavesExistingFolderUntouched()
    {
        var target = Path.Combine(temp.Path, "mod");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "keep.txt"), "keep");
        var tar = BuildTar(w =>
        {
            AddFile(w, "module.json", """{ "version": "1.0.0" }""");
            AddFile(w, "../evil.txt", "pwned");
        });

        Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: true));

        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(target).Select(Path.GetFileName));
        Assert.Equal(["mod"], Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Unpack_TarWithoutManifest_ThrowsAndWritesNothing()
    {
        var target = Path.Combine(temp.Path, "mod");
        var tar = BuildTar(w => AddFile(w, "readme.txt", "hi"));

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: false));

        Assert.Contains("module.json", ex.Message);
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void Unpack_TarWithDuplicateEntry_Throws()
    {
        var target = Path.Combine(temp.Path, "mod");
        var tar = BuildTar(w =>
        {
            AddFile(w, "module.json", """{ "version": "1.0.0" }""");
            AddFile(w, "a.py", "one");
            AddFile(w, "a.py", "two");
        });

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: false));

        Assert.Contains("twice", ex.Message);
        Assert.False(Directory.Exists(target));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(512)]
    [InlineData(4096)]
    public void Unpack_Garbage_ThrowsInvalidPackageAndWritesNothing(int length)
    {
        var garbage = Garbage(length);
        var target = Path.Combine(temp.Path, "mod");

        Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(garbage, ContentHash.Of(garbage), target, overwrite: false));

        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void Unpack_TruncatedPackage_ThrowsInvalidPackage()
    {
        var packed = ModulePackage.Pack(MakeModule("m"));
        var truncated = packed.Bytes[..700];
        var target = Path.Combine(temp.Path, "mod");

        Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(truncated, ContentHash.Of(truncated), target, overwrite: false));

        Assert.False(Directory.Exists(target));
        Assert.Throws<ModulePackageException>(() => ModulePackage.ReadManifest(truncated));
    }

    /// <summary>
    /// Corrupt headers that TarReader reports as NotSupportedException, OverflowException or
    /// ArgumentOutOfRangeException rather than InvalidDataException (regression: these escaped
    /// Unpack as undocumented exceptions and made ReadManifest throw instead of returning null).
    /// </summary>
    [Theory]
    [InlineData("sparse")]
    [InlineData("base256-size")]
    [InlineData("huge-size")]
    public void Unpack_CorruptHeader_ThrowsInvalidPackageAndReadManifestReturnsNull(string corruption)
    {
        var tar = BuildTar(w => AddFile(w, "module.json", """{ "version": "1.0.0" }"""));
        switch (corruption)
        {
            case "sparse":
                tar[156] = (byte)'S'; // typeflag: GNU sparse file
                break;
            case "base256-size":
                tar[124] = 0xff; // size field in base-256, negative / too large
                break;
            case "huge-size":
                Encoding.ASCII.GetBytes("77777777777\0").CopyTo(tar, 124); // 8 GiB
                break;
        }

        FixChecksum(tar, 0);
        var target = Path.Combine(temp.Path, "mod");

        var ex = Assert.Throws<ModulePackageException>(() => ModulePackage.Unpack(tar, ContentHash.Of(tar), target, overwrite: false));

        Assert.Contains("not a readable tar archive", ex.Message);
        Assert.False(Directory.Exists(target));
        Assert.Throws<ModulePackageException>(() => ModulePackage.ReadManifest(tar));
    }

    // ---- helpers -----------------------------------------------------------------------------

    /// <summary>A small python module: module.json, module.py, lib/helper.py.</summary>
    private string MakeModule(string name, string manifest = Manifest)
    {
        var folder = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(Path.Combine(folder, "lib"));
        File.WriteAllText(Path.Combine(folder, "module.json"), manifest);
        File.WriteAllText(Path.Combine(folder, "module.py"), "def run(text):\n    return len(text.split())\n");
        File.WriteAllText(Path.Combine(folder, "lib", "helper.py"), "HELP = 'help'\n");
        return folder;
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(destination, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
    }

    private static byte[] BuildTar(Action<TarWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Ustar, leaveOpen: true))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    private static void AddFile(TarWriter writer, string name, string content)
    {
        writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });
    }

    /// <summary>Recomputes the ustar header checksum of the header block at <paramref name="offset"/>.</summary>
    private static void FixChecksum(byte[] tar, int offset)
    {
        tar.AsSpan(offset + 148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in tar.AsSpan(offset, 512))
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, offset + 148);
    }

    private static List<string> TarEntryNames(byte[] tar)
    {
        var names = new List<string>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }

        return names;
    }

    private static byte[] Garbage(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Modulus.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }
}
