using System.Diagnostics;
using System.Security.Cryptography;
using Modulus.Modules;
using Modulus.Registry;
using Modulus.Registry.Service;
using Modulus.Testing;
using Nethereum.Signer;

namespace Modulus.FunctionalTests.Registry;

/// <summary>
/// The package store over a real socket, against a real chain: only a signed uploader whose name it
/// is (or, for an unclaimed name, within its quota) stores a package; `registry prune` deletes what no
/// published version references and nothing that one does.
/// </summary>
public sealed class PackageUploadTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private RegistryNetwork _network = null!;

    public async Task InitializeAsync() => _network = await RegistryNetwork.StartAsync();

    public async Task DisposeAsync()
    {
        await _network.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task FiftyMegabytesOfJunkFromAnAnonymousCaller_IsRefusedAtOnce_AndNothingIsStored()
    {
        using var client = new RegistryClient(_network.Registry.Address!);
        var junk = RandomNumberGenerator.GetBytes(50 * 1024 * 1024);
        var stopwatch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<RegistryServiceException>(() => client.PutPackageAsync(junk, ContentHash.Of(junk)));
        Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, error.Code);
        Assert.Contains("signed", error.Message);
        Assert.Empty(StoredFiles());

        // Signed junk is not a module package: refused too, still nothing stored.
        var signed = await Assert.ThrowsAsync<RegistryServiceException>(() => client.PutPackageAsync(junk[..(1024 * 1024)], ContentHash.Of(junk[..(1024 * 1024)]), uploader: Key(1)));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, signed.Code);
        Assert.Empty(StoredFiles());

        // The service answers a good request right after.
        var search = await _network.RunAsync("search", "anything");
        Assert.True(search.ExitCode == 0, search.ToString());
    }

    [Fact]
    public async Task AnUploadForANameAnotherAccountOwns_IsPermissionDenied_TheOwnersUploadAndPublishSucceed_AndTheQuotaBoundsUnclaimedNames()
    {
        var folder = Folder(_tree.AddCSharp("owned", "public sealed class Owned : Module { public string Forward(string s) => s; }", ", \"name\": \"upload.owned\""));
        var publish = await _network.RunAsync("publish", folder, "--key", "dev0");
        Assert.True(publish.ExitCode == 0, publish.ToString());

        var edited = Folder(_tree.AddCSharp("owned", "public sealed class Owned : Module { public string Forward(string s) => s + s; }", ", \"name\": \"upload.owned\"", version: "1.1.0"));
        var package = ModulePackage.Pack(edited);
        using var client = new RegistryClient(_network.Registry.Address!);
        var denied = await Assert.ThrowsAsync<RegistryServiceException>(() => client.PutPackageAsync(package.Bytes, package.Sha256, uploader: Key(1)));
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, denied.Code);
        Assert.Contains("belongs to", denied.Message);
        Assert.False(File.Exists(StorePath(package.Sha256)));

        // The same account publishing over the CLI is refused too, as one line.
        var stolen = await _network.RunAsync("publish", edited, "--key", "dev1");
        Assert.Equal(1, stolen.ExitCode);
        Assert.Contains("belongs to", Assert.Single(stolen.Error.Split('\n'), l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", stolen.Error);

        var owner = await client.PutPackageAsync(package.Bytes, package.Sha256, uploader: Key(0));
        Assert.Equal(package.Sha256, owner.Sha256);

        // Names nobody owns: a few uploads per address, then RESOURCE_EXHAUSTED.
        var refused = 0;
        for (var i = 0; i < 20; i++)
        {
            var unclaimed = ModulePackage.Pack(Folder(_tree.AddCSharp($"free{i}", "public sealed class Free : Module { public string Forward(string s) => s; }", $", \"name\": \"upload.free{i}\"")));
            try
            {
                await client.PutPackageAsync(unclaimed.Bytes, unclaimed.Sha256, uploader: Key(2));
            }
            catch (RegistryServiceException ex) when (ex.Code == Grpc.Core.StatusCode.ResourceExhausted)
            {
                refused++;
            }
        }

        Assert.Equal(20 - new RegistryServiceOptions { RpcUrl = "x", Deployment = _network.Deployment }.UnclaimedUploadPackages, refused);
    }

    [Fact]
    public async Task TheUnclaimedNameQuota_SurvivesARestartOfTheService_AndIsFreedByPublishingAndByPruning()
    {
        var max = new RegistryServiceOptions { RpcUrl = "x", Deployment = _network.Deployment }.UnclaimedUploadPackages;
        var packages = Enumerable.Range(0, max + 3)
            .Select(i => ModulePackage.Pack(Folder(_tree.AddCSharp($"quota{i}", "public sealed class Q : Module { public string Forward(string s) => s; }", $", \"name\": \"quota.free{i}\""))))
            .ToArray();
        using (var client = new RegistryClient(_network.Registry.Address!))
        {
            foreach (var package in packages.Take(max))
            {
                await client.PutPackageAsync(package.Bytes, package.Sha256, uploader: Key(2));
            }

            await AssertOverQuotaAsync(client, packages[max]);
        }

        // A restart of the service does not hand the address a fresh quota.
        await _network.RestartRegistryAsync();
        using (var client = new RegistryClient(_network.Registry.Address!))
        {
            await AssertOverQuotaAsync(client, packages[max]);
            // Another address has its own.
            Assert.Equal(packages[max].Sha256, (await client.PutPackageAsync(packages[max].Bytes, packages[max].Sha256, uploader: Key(1))).Sha256);
        }

        // Publishing one of the charged packages (its name is then owned) frees its slot, and only that one.
        var publish = await _network.RunAsync("publish", Path.Combine(_tree.Root, "quota0"), "--key", "dev2");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        await _network.CaughtUpAsync();
        using (var client = new RegistryClient(_network.Registry.Address!))
        {
            await client.PutPackageAsync(packages[max + 1].Bytes, packages[max + 1].Sha256, uploader: Key(2));
            await AssertOverQuotaAsync(client, packages[max + 2]);
        }

        // `registry prune` deletes the unpublished ones, and with them their charges.
        await _network.Registry.DisposeAsync();
        var prune = await _network.RunAsync("registry", "prune", "--data", _network.DataDirectory, "--deployment", _network.DeploymentPath, "--min-age", "0");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        await _network.RestartRegistryAsync();
        using (var client = new RegistryClient(_network.Registry.Address!))
        {
            Assert.Equal(packages[max + 2].Sha256, (await client.PutPackageAsync(packages[max + 2].Bytes, packages[max + 2].Sha256, uploader: Key(2))).Sha256);
        }
    }

    private static async Task AssertOverQuotaAsync(RegistryClient client, ModulePackage package)
    {
        var refused = await Assert.ThrowsAsync<RegistryServiceException>(() => client.PutPackageAsync(package.Bytes, package.Sha256, uploader: Key(2)));
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, refused.Code);
        Assert.Contains("has used its quota for names nobody owns yet", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prune_DeletesOnlyPackagesNoPublishedVersionReferences()
    {
        var published = Folder(_tree.AddCSharp("kept", "public sealed class Kept : Module { public string Forward(string s) => s; }", ", \"name\": \"prune.kept\""));
        var publish = await _network.RunAsync("publish", published, "--key", "dev0", "--json");
        Assert.True(publish.ExitCode == 0, publish.ToString());
        var kept = ModulePackage.Pack(published).Sha256;

        var orphan = ModulePackage.Pack(Folder(_tree.AddCSharp("orphan", "public sealed class Orphan : Module { public string Forward(string s) => s; }", ", \"name\": \"prune.orphan\"")));
        using (var client = new RegistryClient(_network.Registry.Address!))
        {
            await client.PutPackageAsync(orphan.Bytes, orphan.Sha256, uploader: Key(0));
        }

        await _network.CaughtUpAsync();
        await _network.Registry.DisposeAsync();
        string[] common = ["registry", "prune", "--data", _network.DataDirectory, "--deployment", _network.DeploymentPath, "--min-age", "0"];

        var dry = await _network.RunAsync([.. common, "--dry-run"]);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Contains(orphan.Sha256, dry.Out);
        Assert.DoesNotContain(kept, dry.Out);
        Assert.True(File.Exists(StorePath(orphan.Sha256)), "a dry run deleted a package");

        // Freshly stored packages are kept by the default age limit: publish uploads before it publishes.
        var young = await _network.RunAsync("registry", "prune", "--data", _network.DataDirectory, "--deployment", _network.DeploymentPath);
        Assert.True(young.ExitCode == 0, young.ToString());
        Assert.True(File.Exists(StorePath(orphan.Sha256)), "a package stored a moment ago was pruned");

        var run = await _network.RunAsync(common);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(File.Exists(StorePath(orphan.Sha256)), "the unreferenced package is still there");
        Assert.True(File.Exists(StorePath(kept)), "a package a published version references was deleted");

        await _network.RestartRegistryAsync();
        var install = await _network.RunAsync("install", "prune.kept", "--into", Path.Combine(_tree.Root, "installed"));
        Assert.True(install.ExitCode == 0, install.ToString());
    }

    private static string Folder(string moduleFile) => Path.GetDirectoryName(moduleFile)!;

    private static EthECKey Key(int account) => new(Modulus.Registry.Chain.AnvilNode.DevPrivateKeys[account]);

    private string StorePath(string sha256) => new Modulus.Registry.Packaging.PackageStore(Path.Combine(_network.DataDirectory, "packages")).PathOf(sha256);

    private string[] StoredFiles()
    {
        var folder = Path.Combine(_network.DataDirectory, "packages");
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*", SearchOption.AllDirectories) : [];
    }
}
