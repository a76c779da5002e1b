using System.Numerics;
using Modulus.Registry.Index;

namespace Modulus.Registry.Tests;

public class SearchCatalogTests
{
    private static ModuleSummary Module(string name, string? description = null, string[]? tags = null, int stake = 0, int up = 0, int down = 0, int hosts = 0) =>
        new(name, EventScript.Alice, "1.0.0", description, tags ?? [], new BigInteger(stake), new BigInteger(up), new BigInteger(down), hosts);

    private static string[] Names(IEnumerable<ModuleSummary> results) => results.Select(r => r.Name).ToArray();

    [Fact]
    public void Create_KeepsLastBlockAndCount()
    {
        var catalog = SearchCatalog.Create([Module("a"), Module("b")], 42);

        Assert.Equal(42, catalog.LastBlock);
        Assert.Equal(2, catalog.Count);
    }

    [Fact]
    public void Search_RanksByStakeThenName()
    {
        var catalog = SearchCatalog.Create([Module("c", stake: 5), Module("a", stake: 5), Module("b", stake: 9), Module("d", stake: 1)], 1);

        Assert.Equal(["b", "a", "c", "d"], Names(catalog.Search(new SearchQuery(null, null, RankBy.Stake))));
    }

    [Fact]
    public void Search_RanksByNetVotes()
    {
        var catalog = SearchCatalog.Create([Module("many-up", up: 10, down: 8), Module("net", up: 5, down: 0), Module("neg", up: 0, down: 3)], 1);

        Assert.Equal(["net", "many-up", "neg"], Names(catalog.Search(new SearchQuery(null, null, RankBy.Votes))));
    }

    [Fact]
    public void With_ReplacesChangedModulesAndAddsNewOnes()
    {
        var catalog = SearchCatalog.Create([Module("a", stake: 1), Module("b", stake: 2)], 1);

        var next = catalog.With([Module("a", stake: 3), Module("c", stake: 0)], 2);

        Assert.Equal(2, next.LastBlock);
        Assert.Equal(3, next.Count);
        Assert.Equal(["a", "b", "c"], Names(next.Search(new SearchQuery(null, null, RankBy.Stake))));
        // The old snapshot is unchanged.
        Assert.Equal(["b", "a"], Names(catalog.Search(new SearchQuery(null, null, RankBy.Stake))));
    }

    [Fact]
    public void Search_FiltersOnTextAndTagThenPages()
    {
        var catalog = SearchCatalog.Create(
        [
            Module("alpha", "Image tools", ["img"], stake: 4),
            Module("beta", "IMAGE resize", ["img", "cli"], stake: 3),
            Module("gamma", "audio", ["img"], stake: 2),
            Module("image-x", null, ["cli"], stake: 1),
        ], 1);

        Assert.Equal(["alpha", "beta", "image-x"], Names(catalog.Search(new SearchQuery("image", null))));
        Assert.Equal(["alpha", "beta"], Names(catalog.Search(new SearchQuery("image", "img"))));
        Assert.Equal(["beta"], Names(catalog.Search(new SearchQuery("image", null, Limit: 1, Offset: 1))));
        Assert.Equal(["gamma"], Names(catalog.Search(new SearchQuery(null, "img", Offset: 2))));
        Assert.Empty(catalog.Search(new SearchQuery(null, "IMG")));
    }
}
