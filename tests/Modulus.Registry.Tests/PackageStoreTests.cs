using System.Text;
using Modulus.Modules;
using Modulus.Registry.Packaging;

using Modulus.Testing;

namespace Modulus.Registry.Tests;

public sealed class PackageStoreTests : IDisposable
{
    private readonly PackagingTempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public async Task Prune_DeletesOnlyUnreferencedPackagesOldEnough_AndADryRunDeletesNothing()
    {
        var store = new PackageStore(Path.Combine(temp.Path, "store"));
        var referenced = await store.PutAsync(Encoding.UTF8.GetBytes("published"));
        var orphan = await store.PutAsync(Encoding.UTF8.GetBytes("never published"));
        var fresh = await store.PutAsync(Encoding.UTF8.GetBytes("uploaded a moment ago"));
        var old = DateTime.UtcNow.AddDays(-2);
        File.SetLastWriteTimeUtc(store.PathOf(referenced), old);
        File.SetLastWriteTimeUtc(store.PathOf(orphan), old);

        var dry = store.Prune(h => h == referenced, TimeSpan.FromDays(1), dryRun: true);
        Assert.Equal([orphan], dry.Select(p => p.Sha256));
        Assert.True(store.Contains(orphan));

        var pruned = store.Prune(h => h == referenced, TimeSpan.FromDays(1), dryRun: false);
        Assert.Equal([orphan], pruned.Select(p => p.Sha256));
        Assert.False(store.Contains(orphan));
        Assert.True(store.Contains(referenced));
        Assert.True(store.Contains(fresh));
    }

    [Fact]
    public async Task PutAsync_ReturnsSha256AndStoresUnderShardedPath()
    {
        var store = new PackageStore(Path.Combine(temp.Path, "store"));
        var package = Encoding.UTF8.GetBytes("a package");
        var expected = ContentHash.Of(package);

        var hex = await store.PutAsync(package);

        Assert.Equal(expected, hex);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(package)), hex);
        var path = Path.Combine(temp.Path, "store", "sha256", hex[..2], hex);
        Assert.True(File.Exists(path), path);
        Assert.Equal(package, await File.ReadAllBytesAsync(path));
        Assert.Equal(path, store.PathOf(hex));
        Assert.Equal(path, store.PathOf(hex.ToUpperInvariant()));
    }

    [Fact]
    public void Root_IsFullPath()
    {
        var store = new PackageStore(Path.Combine(temp.Path, "a", "..", "store"));

        Assert.Equal(Path.Combine(temp.Path, "store"), store.Root);
    }

    [Fact]
    public async Task OpenRead_ReturnsTheStoredBytes()
    {
        var store = new PackageStore(temp.Path);
        var package = new byte[100_000];
        new Random(7).NextBytes(package);
        var hex = await store.PutAsync(package);

        await using var stream = store.OpenRead(hex);

        Assert.NotNull(stream);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        Assert.Equal(package, copy.ToArray());
    }

    [Fact]
    public async Task OpenRead_AcceptsUppercaseHash()
    {
        var store = new PackageStore(temp.Path);
        var hex = await store.PutAsync([1, 2, 3]);

        await using var stream = store.OpenRead(hex.ToUpperInvariant());

        Assert.NotNull(stream);
    }

    [Fact]
    public async Task OpenRead_UnknownHash_ReturnsNull()
    {
        var store = new PackageStore(temp.Path);
        Assert.Null(store.OpenRead(new string('a', 64)));

        // Also when the shard folder exists but the file does not.
        var hex = await store.PutAsync([1, 2, 3]);
        var sibling = hex[..2] + new string(hex[2] == '0' ? '1' : '0', 62);
        Assert.Null(store.OpenRead(sibling));
    }

    [Theory]
    [InlineData("nothex")]
    [InlineData("")]
    [InlineData("0x0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")]
    [InlineData("../../../../../../../../../../../../../../../../../../etc/passwd..")]
    public void OpenRead_NotAHash_ThrowsFormatException(string hex)
    {
        var store = new PackageStore(temp.Path);

        Assert.Throws<FormatException>(() => store.OpenRead(hex));
        Assert.Throws<FormatException>(() => store.PathOf(hex));
    }

    [Fact]
    public async Task PutAsync_Twice_IsHarmlessAndLeavesNoPartialFiles()
    {
        var root = Path.Combine(temp.Path, "store");
        var store = new PackageStore(root);
        var package = Encoding.UTF8.GetBytes("same package");

        var first = await store.PutAsync(package);
        var second = await store.PutAsync(package);

        Assert.Equal(first, second);
        Assert.Equal(package, await File.ReadAllBytesAsync(store.PathOf(first)));
        var files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Assert.Equal([store.PathOf(first)], files);
        Assert.Empty(Directory.GetFiles(root, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_RepairsATruncatedStoredFile()
    {
        var store = new PackageStore(temp.Path);
        var package = Encoding.UTF8.GetBytes("a longer package body");
        var hex = ContentHash.Of(package);
        var path = store.PathOf(hex);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, package[..5]);

        Assert.Equal(hex, await store.PutAsync(package));

        Assert.Equal(package, await File.ReadAllBytesAsync(path));
        Assert.Empty(Directory.GetFiles(temp.Path, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PutAsync_ManyPackages_EachRetrievable()
    {
        var root = Path.Combine(temp.Path, "store");
        var store = new PackageStore(root);
        var packages = Enumerable.Range(0, 20).Select(i => Encoding.UTF8.GetBytes($"package {i}")).ToList();

        var hashes = new List<string>();
        foreach (var package in packages)
        {
            hashes.Add(await store.PutAsync(package));
        }

        Assert.Equal(packages.Count, hashes.Distinct().Count());
        for (var i = 0; i < packages.Count; i++)
        {
            await using var stream = store.OpenRead(hashes[i]);
            Assert.NotNull(stream);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            Assert.Equal(packages[i], copy.ToArray());
        }

        Assert.Equal(packages.Count, Directory.GetFiles(root, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task PutAsync_EmptyPackage_IsStored()
    {
        var store = new PackageStore(temp.Path);

        var hex = await store.PutAsync([]);

        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", hex);
        await using var stream = store.OpenRead(hex);
        Assert.NotNull(stream);
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public async Task PutAsync_RealModulePackage_RoundTripsThroughUnpack()
    {
        var module = Path.Combine(temp.Path, "module");
        Directory.CreateDirectory(module);
        await File.WriteAllTextAsync(Path.Combine(module, "module.json"), """{ "version": "2.0.0", "language": "csharp", "entry": "Main.cs" }""");
        await File.WriteAllTextAsync(Path.Combine(module, "Main.cs"), "class Main {}");
        var packed = ModulePackage.Pack(module);
        var store = new PackageStore(Path.Combine(temp.Path, "store"));

        var hex = await store.PutAsync(packed.Bytes);
        Assert.Equal(packed.Sha256, hex);
        byte[] bytes;
        await using (var stream = store.OpenRead(hex))
        {
            Assert.NotNull(stream);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            bytes = copy.ToArray();
        }

        var target = Path.Combine(temp.Path, "installed");
        ModulePackage.Unpack(bytes, hex, target, overwrite: false);
        Assert.Equal("class Main {}", await File.ReadAllTextAsync(Path.Combine(target, "Main.cs")));
        Assert.Equal("2.0.0", ModulePackage.ReadManifest(bytes).Version.Value);
    }

    [Fact]
    public async Task PutAsync_CancelledToken_Throws()
    {
        var store = new PackageStore(Path.Combine(temp.Path, "store"));
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync([1, 2, 3], cts.Token));

        Assert.Null(store.OpenRead(ContentHash.Of([1, 2, 3])));
        Assert.Empty(Directory.Exists(store.Root) ? Directory.GetFiles(store.Root, "*", SearchOption.AllDirectories) : []);
    }
}

public class ContentHashTests
{
    private const string Hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    [Fact]
    public void ToBytes32_FromBytes32_RoundTrip()
    {
        var bytes = ContentHash.ToBytes32(Hex);

        Assert.Equal(32, bytes.Length);
        Assert.Equal(0x00, bytes[0]);
        Assert.Equal(0x11, bytes[1]);
        Assert.Equal(0xff, bytes[31]);
        Assert.Equal(Hex, ContentHash.FromBytes32(bytes));
    }

    [Theory]
    [InlineData("0x")]
    [InlineData("0X")]
    public void ToBytes32_AcceptsHexPrefix(string prefix)
    {
        Assert.Equal(ContentHash.ToBytes32(Hex), ContentHash.ToBytes32(prefix + Hex));
        Assert.Equal(Hex, ContentHash.FromBytes32(ContentHash.ToBytes32(prefix + Hex)));
    }

    [Fact]
    public void ToBytes32_UppercaseHex_FromBytes32GivesLowercase()
    {
        Assert.Equal(Hex, ContentHash.FromBytes32(ContentHash.ToBytes32(Hex.ToUpperInvariant())));
    }

    [Fact]
    public void Of_IsSha256LowercaseHex()
    {
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ContentHash.Of("abc"u8));
        Assert.True(ContentHash.IsValid(ContentHash.Of([])));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("nothex")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeef")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0")]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg")]
    [InlineData("0x0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")]
    [InlineData(" 0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")]
    public void ToBytes32_BadHex_ThrowsFormatException(string hex)
    {
        var ex = Assert.Throws<FormatException>(() => ContentHash.ToBytes32(hex));

        Assert.Contains("64 hex digits", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(33)]
    public void FromBytes32_WrongLength_ThrowsArgumentException(int length)
    {
        Assert.Throws<ArgumentException>(() => ContentHash.FromBytes32(new byte[length]));
    }

    [Theory]
    [InlineData(Hex, true)]
    [InlineData("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", true)]
    [InlineData("0x112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", false)]
    [InlineData("nothex", false)]
    [InlineData(null, false)]
    public void IsValid(string? hex, bool valid)
    {
        Assert.Equal(valid, ContentHash.IsValid(hex));
    }
}
