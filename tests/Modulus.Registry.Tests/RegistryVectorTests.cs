using System.Text.Json;
using Modulus.Registry.Contracts;
using Modulus.Testing;
using Nethereum.Contracts;

namespace Modulus.Registry.Tests;

/// <summary>
/// The shared name and version vectors (tests/vectors/*.json) against the deployed contract: the
/// chain must accept exactly what the definition accepts, since a version or name it records is
/// immutable and every client parses it.
/// </summary>
[Collection("anvil")]
public sealed class RegistryVectorTests(AnvilFixture anvil) : ChainTest(anvil)
{
    private const string Module = "vectors.module";

    private static readonly byte[] Hash = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static readonly Lazy<Vectors> Versions = new(() => Vectors.Load("module-versions.json"));

    private static readonly Lazy<Vectors> Names = new(() => Vectors.Load("module-names.json"));

    // Indexes rather than the strings themselves: some vectors hold a NUL or a trailing space,
    // which test names and runners show badly; the reason names the case instead.
    public static TheoryData<int, string> ValidVersions => Versions.Value.ValidCases();

    public static TheoryData<int, string> InvalidVersions => Versions.Value.InvalidCases();

    public static TheoryData<int, string> ValidNames => Names.Value.ValidCases();

    public static TheoryData<int, string> InvalidNames => Names.Value.InvalidCases();

    [Theory]
    [MemberData(nameof(ValidVersions))]
    public async Task Publish_ValidVersionVector_IsRecorded(int index, string version)
    {
        Assert.Equal(Versions.Value.Valid[index], version);
        await Alice.ClaimNameAsync(Module);

        var published = (await Alice.PublishAsync(Module, version, Hash, "uri")).DecodeAllEvents<VersionPublishedEvent>().Single().Event;

        Assert.Equal(version, published.Version);
        Assert.Equal(Hash, (await Bob.GetVersionAsync(Module, version)).ContentHash);
        Assert.Equal([version], await Bob.VersionsAsync(Module));
    }

    [Theory]
    [MemberData(nameof(InvalidVersions))]
    public async Task Publish_InvalidVersionVector_RevertsWithInvalidVersion(int index, string why)
    {
        var version = Versions.Value.Invalid[index].Value;
        await Alice.ClaimNameAsync(Module);

        var error = await RevertsWithAsync<InvalidVersionError>(() => Alice.PublishAsync(Module, version, Hash, "uri"));

        Assert.True(error.Version == version, $"{why}: the error names \"{error.Version}\", not \"{version}\"");
        Assert.Empty(await Bob.VersionsAsync(Module));
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public async Task Claim_ValidNameVector_MakesTheClaimantOwner(int index, string name)
    {
        Assert.Equal(Names.Value.Valid[index], name);

        var (_, claim) = await Alice.ClaimNameAsync(name);

        Assert.Equal(name, claim.DecodeAllEvents<NameClaimedEvent>().Single().Event.Name);
        Assert.Equal(Alice.Account, await Bob.OwnerOfAsync(name), ignoreCase: true);
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task Claim_InvalidNameVector_RevertsWithInvalidName(int index, string why)
    {
        var name = Names.Value.Invalid[index].Value;

        var error = await RevertsWithAsync<InvalidNameError>(() => Alice.ClaimNameAsync(name));

        Assert.True(error.Name == name, $"{why}: the error names \"{error.Name}\", not \"{name}\"");
        Assert.False(await Bob.IsClaimedAsync(name), why);
    }

    private sealed record Invalid(string Value, string Why);

    private sealed record Vectors(IReadOnlyList<string> Valid, IReadOnlyList<Invalid> Invalid)
    {
        public static Vectors Load(string file)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "vectors", file)));
            var root = document.RootElement;
            var valid = root.GetProperty("valid").EnumerateArray().Select(e => e.GetString()!).ToArray();
            var invalid = root.GetProperty("invalid").EnumerateArray()
                .Select(e => new Invalid(e.GetProperty("value").GetString()!, e.GetProperty("why").GetString()!)).ToArray();
            Assert.NotEmpty(valid);
            Assert.NotEmpty(invalid);
            return new Vectors(valid, invalid);
        }

        public TheoryData<int, string> ValidCases()
        {
            var data = new TheoryData<int, string>();
            for (var i = 0; i < Valid.Count; i++)
            {
                data.Add(i, Valid[i]);
            }

            return data;
        }

        public TheoryData<int, string> InvalidCases()
        {
            var data = new TheoryData<int, string>();
            for (var i = 0; i < Invalid.Count; i++)
            {
                data.Add(i, Invalid[i].Why);
            }

            return data;
        }
    }
}
