using Modulus.Registry.Chain;
using Modulus.Registry.Contracts;
using Modulus.Registry.Index;

namespace Modulus.Registry.Tests;

public sealed class RegistryIndexTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modulus-index-tests-" + Guid.NewGuid().ToString("N"));
    private readonly MetadataTable _metadata = new();
    private readonly List<RegistryIndex> _opened = [];

    private string IndexPath => Path.Combine(_folder, "index.db");

    public void Dispose()
    {
        foreach (var index in _opened)
        {
            index.Dispose();
        }

        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private RegistryIndex Open(RegistryDeployment? deployment = null, string? path = null)
    {
        var index = RegistryIndex.Open(path ?? IndexPath, deployment ?? EventScript.Deployment, _metadata);
        _opened.Add(index);
        return index;
    }

    private static void ApplyAll(RegistryIndex index, EventScript script) => index.Apply(script.Events, script.Block);

    private static string[] Names(IEnumerable<ModuleSummary> results) => results.Select(r => r.Name).ToArray();

    // ---- claim, publish, resolve ----

    [Fact]
    public void Resolve_WithoutVersion_PicksHighestLiveReleaseOverHigherPrerelease()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .NextBlock().Publish("tools", "1.0.0", _metadata.Add("one"))
            .NextBlock().Publish("tools", "1.2.0", _metadata.Add("one-two"))
            .NextBlock().Publish("tools", "2.0.0-rc.1", _metadata.Add("two rc"))
            .Publish("tools", "1.10.0-beta", _metadata.Add("beta"));
        ApplyAll(index, script);

        var resolved = index.Resolve("tools", null);

        Assert.NotNull(resolved);
        Assert.Equal("tools", resolved.Name);
        Assert.Equal("1.2.0", resolved.Version);
        Assert.False(resolved.Deprecated);
        Assert.Equal("1.2.0", index.Get("tools")!.Summary.LatestVersion);
        Assert.Equal(EventScript.Alice, index.Get("tools")!.Summary.Owner);
    }

    [Fact]
    public void Resolve_OnlyPrereleasesLive_PicksHighestPrerelease()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0-rc.2", _metadata.Add("a"))
            .Publish("tools", "1.0.0-rc.10", _metadata.Add("b"))
            .Publish("tools", "1.0.0-alpha", _metadata.Add("c"));
        ApplyAll(index, script);

        Assert.Equal("1.0.0-rc.10", index.Resolve("tools", null)!.Version);
    }

    [Fact]
    public void Resolve_UsesSemanticPrecedenceNotStringOrder()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.10.0", _metadata.Add("ten"))
            .Publish("tools", "1.9.0", _metadata.Add("nine"));
        ApplyAll(index, script);

        Assert.Equal("1.10.0", index.Resolve("tools", null)!.Version);
        Assert.Equal(["1.10.0", "1.9.0"], index.Get("tools")!.Versions.Select(v => v.Version).ToArray());
    }

    [Fact]
    public void Resolve_DeprecatedVersionByNumber_ReturnsItMarkedDeprecated()
    {
        using var index = Open();
        var hash = _metadata.Add("old");
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", hash)
            .Publish("tools", "1.1.0", _metadata.Add("new"))
            .NextBlock().Deprecate("tools", "1.0.0", "security hole");
        ApplyAll(index, script);

        var resolved = index.Resolve("tools", "1.0.0");

        Assert.NotNull(resolved);
        Assert.Equal("1.0.0", resolved.Version);
        Assert.True(resolved.Deprecated);
        Assert.Equal(hash, resolved.ContentHash);
        Assert.Equal("sha256:" + hash, resolved.PackageUri);
        var version = Assert.Single(index.Get("tools")!.Versions, v => v.Version == "1.0.0");
        Assert.True(version.Deprecated);
        Assert.Equal("security hole", version.DeprecationReason);
        Assert.False(index.Resolve("tools", "1.1.0")!.Deprecated);
    }

    [Fact]
    public void Deprecate_Latest_MovesLatestVersionBack()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("one"))
            .Publish("tools", "2.0.0", _metadata.Add("two"));
        ApplyAll(index, script);
        Assert.Equal("2.0.0", index.Resolve("tools", null)!.Version);

        script.NextBlock().Deprecate("tools", "2.0.0", "broken");
        ApplyAll(index, script);

        Assert.Equal("1.0.0", index.Resolve("tools", null)!.Version);
        Assert.Equal("1.0.0", index.Get("tools")!.Summary.LatestVersion);
        Assert.Equal("1.0.0", Assert.Single(index.Search(new SearchQuery("tools", null))).LatestVersion);
    }

    [Fact]
    public void Deprecate_EveryVersion_LeavesNoLatest()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("one"))
            .NextBlock().Deprecate("tools", "1.0.0", "gone");
        ApplyAll(index, script);

        Assert.Null(index.Resolve("tools", null));
        Assert.Null(index.Get("tools")!.Summary.LatestVersion);
        Assert.True(index.Resolve("tools", "1.0.0")!.Deprecated);
    }

    [Fact]
    public void Resolve_UnknownNameOrVersion_ReturnsNull()
    {
        using var index = Open();
        var script = new EventScript().Claim("tools", EventScript.Alice).Publish("tools", "1.0.0", _metadata.Add("one"));
        ApplyAll(index, script);

        Assert.Null(index.Resolve("nothing", null));
        Assert.Null(index.Resolve("nothing", "1.0.0"));
        Assert.Null(index.Resolve("tools", "9.9.9"));
        Assert.Null(index.Get("nothing"));
    }

    [Fact]
    public void Resolve_ClaimedNameWithoutVersions_ReturnsNull()
    {
        using var index = Open();
        ApplyAll(index, new EventScript().Claim("empty", EventScript.Alice));

        Assert.Null(index.Resolve("empty", null));
        Assert.NotNull(index.Get("empty"));
        Assert.Equal(1, index.ModuleCount);
    }

    [Fact]
    public void Versions_DifferingOnlyInCase_AreDistinct()
    {
        using var index = Open();
        var upper = _metadata.Add("upper");
        var lower = _metadata.Add("lower");
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0-RC.1", upper)
            .Publish("tools", "1.0.0-rc.1", lower);
        ApplyAll(index, script);

        Assert.Equal(upper, index.Resolve("tools", "1.0.0-RC.1")!.ContentHash);
        Assert.Equal(lower, index.Resolve("tools", "1.0.0-rc.1")!.ContentHash);
        Assert.Equal(2, index.Get("tools")!.Versions.Count);
    }

    [Fact]
    public void IndexOfAnOlderLayout_IsEmptiedOnOpen_SoTheFollowerRebuildsIt()
    {
        var index = Open();
        ApplyAll(index, new EventScript().Claim("old.module", EventScript.Alice).Publish("old.module", "1.0.0", _metadata.Add("old")));
        index.Dispose();
        using (var raw = new LiteDB.LiteDatabase(new LiteDB.ConnectionString { Filename = IndexPath, Collation = LiteDB.Collation.Binary }))
        {
            var state = raw.GetCollection("state").FindById("index");
            state["schema"] = 1;
            raw.GetCollection("state").Update(state);
        }

        var reopened = Open();
        Assert.Null(reopened.LastBlock);
        Assert.Equal(0, reopened.ModuleCount);
        Assert.Null(reopened.Get("old.module"));

        ApplyAll(reopened, new EventScript().Claim("old.module", EventScript.Alice).Publish("old.module", "1.0.0", _metadata.Add("again")));
        Assert.Equal("1.0.0", reopened.Resolve("old.module", null)!.Version);
    }

    [Fact]
    public void Name_WithUnderscore_DoesNotTakeRowsOfNamesItWouldMatchAsPattern()
    {
        // '_' is a valid name character and a LIKE wildcard: "a_b" must not see the rows of "axb" or "a-b".
        using var index = Open();
        var own = _metadata.Add("own");
        var script = new EventScript()
            .Claim("a_b", EventScript.Alice).Publish("a_b", "1.0.0", own)
            .Claim("axb", EventScript.Bob).Publish("axb", "9.0.0", _metadata.Add("other"))
            .Claim("a-b", EventScript.Bob).Publish("a-b", "1.0.0", _metadata.Add("other too"))
            .NextBlock()
            .Announce("axb", "9.0.0", EventScript.Bob, "grpc://b:1")
            .Announce("a-b", "1.0.0", EventScript.Carol, "grpc://c:1");
        ApplyAll(index, script);

        var detail = index.Get("a_b")!;
        Assert.Equal(["1.0.0"], detail.Versions.Select(v => v.Version));
        Assert.Empty(detail.Hosts);
        Assert.Equal("1.0.0", detail.Summary.LatestVersion);
        Assert.Equal(0, detail.Summary.HostCount);
        var resolved = index.Resolve("a_b", null);
        Assert.NotNull(resolved);
        Assert.Equal(own, resolved.ContentHash);
        Assert.Empty(resolved.Hosts);
    }

    // ---- search ----

    private RegistryIndex SearchFixture()
    {
        var index = Open();
        var script = new EventScript()
            .Claim("image-tools", EventScript.Alice).Publish("image-tools", "1.0.0", _metadata.Add("Resize and crop pictures", "img", "cli"))
            .Claim("audio", EventScript.Bob).Publish("audio", "1.0.0", _metadata.Add("Sound mixing for IMAGE-free work", "sound"))
            .Claim("zeta", EventScript.Carol).Publish("zeta", "1.0.0", _metadata.Add("Photo filters", "img"))
            .Claim("beta", EventScript.Carol).Publish("beta", "1.0.0", _metadata.Add("Nothing in particular"))
            .NextBlock()
            .Stake("image-tools", EventScript.Alice, 100, 100)
            .Stake("audio", EventScript.Bob, 300, 300)
            .Stake("zeta", EventScript.Carol, 100, 100)
            .Vote("image-tools", EventScript.Alice, VoteDirection.Up, 100, 100, 0)
            .Vote("audio", EventScript.Bob, VoteDirection.Up, 300, 300, 250)
            .Vote("zeta", EventScript.Carol, VoteDirection.Up, 100, 50, 0)
            .Announce("zeta", "1.0.0", EventScript.Alice, "grpc://a:1")
            .Announce("zeta", "1.0.0", EventScript.Bob, "grpc://b:1")
            .Announce("beta", "1.0.0", EventScript.Alice, "grpc://a:1")
            .Announce("audio", "1.0.0", EventScript.Carol, "grpc://c:1");
        ApplyAll(index, script);
        return index;
    }

    [Fact]
    public void Search_Text_MatchesNameOrDescriptionIgnoringCase()
    {
        using var index = SearchFixture();

        // "image" is in image-tools' name and (upper case) in audio's description.
        Assert.Equal(["audio", "image-tools"], Names(index.Search(new SearchQuery("ImAgE", null, RankBy.Name))));
        Assert.Equal(["zeta"], Names(index.Search(new SearchQuery("PHOTO", null, RankBy.Name))));
        Assert.Empty(index.Search(new SearchQuery("video", null)));
        Assert.Equal(4, index.Search(new SearchQuery("  ", null)).Count);
    }

    [Fact]
    public void Search_Tag_MatchesExactly()
    {
        using var index = SearchFixture();

        Assert.Equal(["image-tools", "zeta"], Names(index.Search(new SearchQuery(null, "img", RankBy.Name))));
        Assert.Empty(index.Search(new SearchQuery(null, "IMG")));
        Assert.Empty(index.Search(new SearchQuery(null, "im")));
        Assert.Equal(["image-tools"], Names(index.Search(new SearchQuery("resize", "img"))));
        Assert.Empty(index.Search(new SearchQuery("audio", "img")));
    }

    [Fact]
    public void Search_PriceOfAPaidModule_ComesFromItsLatestManifest_AndAFreeOneHasNone()
    {
        using var index = Open();
        ApplyAll(index, new EventScript()
            .Claim("paid", EventScript.Alice).Publish("paid", "1.0.0", _metadata.AddPaid("Costs", "0.001"))
            .NextBlock().Publish("paid", "1.1.0", _metadata.AddPaid("Costs more", "0.002"))
            .Claim("free", EventScript.Bob).Publish("free", "1.0.0", _metadata.Add("Free")));

        Assert.Equal("0.002", Assert.Single(index.Search(new SearchQuery("paid", null))).Price);
        Assert.Null(Assert.Single(index.Search(new SearchQuery("free", null))).Price);
    }

    [Fact]
    public void Search_DescriptionAndTags_ComeFromMetadata()
    {
        using var index = SearchFixture();

        var summary = Assert.Single(index.Search(new SearchQuery("image-tools", null)));
        Assert.Equal("Resize and crop pictures", summary.Description);
        Assert.Equal(["img", "cli"], summary.Tags);
        var beta = Assert.Single(index.Search(new SearchQuery("beta", null)));
        Assert.Empty(beta.Tags);
    }

    [Fact]
    public void Search_RankByStake_MostFirstTiesByName()
    {
        using var index = SearchFixture();

        Assert.Equal(["audio", "image-tools", "zeta", "beta"], Names(index.Search(new SearchQuery(null, null, RankBy.Stake))));
    }

    [Fact]
    public void Search_RankByVotes_UpMinusDown()
    {
        using var index = SearchFixture();

        // image-tools 100, audio 300 - 250 = 50, zeta 50, beta 0.
        Assert.Equal(["image-tools", "audio", "zeta", "beta"], Names(index.Search(new SearchQuery(null, null, RankBy.Votes))));
    }

    [Fact]
    public void Search_RankByHosts_MostFirstTiesByName()
    {
        using var index = SearchFixture();

        Assert.Equal(["zeta", "audio", "beta", "image-tools"], Names(index.Search(new SearchQuery(null, null, RankBy.Hosts))));
    }

    [Fact]
    public void Search_RankByName_Ordinal()
    {
        using var index = SearchFixture();

        Assert.Equal(["audio", "beta", "image-tools", "zeta"], Names(index.Search(new SearchQuery(null, null, RankBy.Name))));
    }

    [Fact]
    public void Search_LimitAndOffset_Page()
    {
        using var index = SearchFixture();

        Assert.Equal(["audio", "beta"], Names(index.Search(new SearchQuery(null, null, RankBy.Name, Limit: 2))));
        Assert.Equal(["image-tools", "zeta"], Names(index.Search(new SearchQuery(null, null, RankBy.Name, Limit: 2, Offset: 2))));
        Assert.Equal(["zeta"], Names(index.Search(new SearchQuery(null, null, RankBy.Name, Limit: 2, Offset: 3))));
        Assert.Empty(index.Search(new SearchQuery(null, null, RankBy.Name, Limit: 2, Offset: 10)));
        Assert.Empty(index.Search(new SearchQuery(null, null, RankBy.Name, Limit: 0)));
        Assert.Equal(["zeta"], Names(index.Search(new SearchQuery(null, "img", RankBy.Name, Limit: 5, Offset: 1))));
    }

    [Fact]
    public void Search_Summary_CarriesStakeVotesAndHosts()
    {
        using var index = SearchFixture();

        var audio = Assert.Single(index.Search(new SearchQuery("audio", null)));
        Assert.Equal(300, audio.TotalStake);
        Assert.Equal(300, audio.UpWeight);
        Assert.Equal(250, audio.DownWeight);
        Assert.Equal(1, audio.HostCount);
        Assert.Equal(EventScript.Bob, audio.Owner);
    }

    // ---- stakes ----

    [Fact]
    public void Stakes_AreSetPerStakerAndSummed()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .NextBlock()
            .Stake("tools", EventScript.Alice, 100, 100)
            .Stake("tools", EventScript.Alice, 50, 150)
            .Stake("tools", EventScript.Bob, 70, 70)
            .NextBlock()
            .Unstake("tools", EventScript.Alice, 30, 120);
        ApplyAll(index, script);

        var detail = index.Get("tools")!;
        Assert.Equal(190, detail.Summary.TotalStake);
        Assert.Equal([new IndexedStake(EventScript.Alice, 120), new IndexedStake(EventScript.Bob, 70)], detail.Stakes);
        Assert.Equal(190, Assert.Single(index.Search(new SearchQuery("tools", null))).TotalStake);
    }

    [Fact]
    public void Stakes_StakerAtZero_Disappears()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Stake("tools", EventScript.Alice, 100, 100)
            .Stake("tools", EventScript.Bob, 40, 40);
        ApplyAll(index, script);
        script.NextBlock().Unstake("tools", EventScript.Alice, 100, 0);
        ApplyAll(index, script);

        var detail = index.Get("tools")!;
        Assert.Equal([new IndexedStake(EventScript.Bob, 40)], detail.Stakes);
        Assert.Equal(40, detail.Summary.TotalStake);

        script.NextBlock().Unstake("tools", EventScript.Bob, 40, 0);
        ApplyAll(index, script);
        Assert.Empty(index.Get("tools")!.Stakes);
        Assert.Equal(0, index.Get("tools")!.Summary.TotalStake);
    }

    [Fact]
    public void Stakes_OnDifferentModules_AreSeparate()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("one", EventScript.Alice)
            .Claim("two", EventScript.Alice)
            .Stake("one", EventScript.Alice, 10, 10)
            .Stake("two", EventScript.Alice, 25, 25);
        ApplyAll(index, script);

        Assert.Equal(10, index.Get("one")!.Summary.TotalStake);
        Assert.Equal(25, index.Get("two")!.Summary.TotalStake);
        Assert.Equal(EventScript.HashOf("one"), index.Get("one")!.NameHash);
    }

    // ---- hosts ----

    [Fact]
    public void Hosts_AnnouncedTwice_ReplacesEndpoint()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("one"))
            .NextBlock().Announce("tools", "1.0.0", EventScript.Bob, "grpc://old:1")
            .NextBlock().Announce("tools", "1.0.0", EventScript.Bob, "grpc://new:2");
        ApplyAll(index, script);

        var detail = index.Get("tools")!;
        Assert.Equal(1, detail.Summary.HostCount);
        Assert.Equal([new IndexedHost("1.0.0", EventScript.Bob, "grpc://new:2")], detail.Hosts);
        Assert.Equal([new IndexedHost("1.0.0", EventScript.Bob, "grpc://new:2")], index.Resolve("tools", null)!.Hosts);
    }

    [Fact]
    public void Hosts_TwoHosts_CountTwo_WithdrawGoesBack()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("one"))
            .NextBlock()
            .Announce("tools", "1.0.0", EventScript.Bob, "grpc://b:1")
            .Announce("tools", "1.0.0", EventScript.Carol, "grpc://c:1");
        ApplyAll(index, script);

        Assert.Equal(2, index.Get("tools")!.Summary.HostCount);
        Assert.Equal(2, index.Resolve("tools", "1.0.0")!.Hosts.Count);

        script.NextBlock().Withdraw("tools", "1.0.0", EventScript.Carol);
        ApplyAll(index, script);

        var detail = index.Get("tools")!;
        Assert.Equal(1, detail.Summary.HostCount);
        Assert.Equal([new IndexedHost("1.0.0", EventScript.Bob, "grpc://b:1")], detail.Hosts);
        Assert.Equal(1, Assert.Single(index.Search(new SearchQuery("tools", null))).HostCount);
    }

    [Fact]
    public void Hosts_OneHostOnTwoVersions_CountsOnce_ResolveOnlyListsItsVersion()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("one"))
            .Publish("tools", "2.0.0", _metadata.Add("two"))
            .NextBlock()
            .Announce("tools", "1.0.0", EventScript.Bob, "grpc://b:1")
            .Announce("tools", "2.0.0", EventScript.Bob, "grpc://b:2")
            .Announce("tools", "1.0.0", EventScript.Carol, "grpc://c:1");
        ApplyAll(index, script);

        Assert.Equal(2, index.Get("tools")!.Summary.HostCount);
        Assert.Equal(3, index.Get("tools")!.Hosts.Count);
        Assert.Equal([new IndexedHost("2.0.0", EventScript.Bob, "grpc://b:2")], index.Resolve("tools", null)!.Hosts);
        Assert.Equal(2, index.Resolve("tools", "1.0.0")!.Hosts.Count);
    }

    // ---- transfer ----

    [Fact]
    public void Transfer_ChangesOwner()
    {
        using var index = Open();
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .NextBlock().Transfer("tools", EventScript.Alice, EventScript.Bob);
        ApplyAll(index, script);

        Assert.Equal(EventScript.Bob, index.Get("tools")!.Summary.Owner);
        Assert.Equal(EventScript.Bob, Assert.Single(index.Search(new SearchQuery("tools", null))).Owner);
        Assert.Equal(script.Block - 1, index.Get("tools")!.ClaimedBlock);
    }

    // ---- idempotence and crash safety ----

    private EventScript FullScript()
    {
        return new EventScript()
            .Claim("tools", EventScript.Alice)
            .Claim("other", EventScript.Bob)
            .NextBlock()
            .Publish("tools", "1.0.0", _metadata.Add("Tools", "a"))
            .Publish("tools", "1.1.0-rc.1", _metadata.Add("Tools rc", "b"))
            .Publish("other", "0.1.0", _metadata.Add("Other", "c"))
            .NextBlock()
            .Stake("tools", EventScript.Alice, 100, 100)
            .Stake("tools", EventScript.Bob, 50, 50)
            .Vote("tools", EventScript.Alice, VoteDirection.Up, 100, 100, 0)
            .Vote("tools", EventScript.Bob, VoteDirection.Down, 50, 100, 50)
            .Announce("tools", "1.0.0", EventScript.Carol, "grpc://c:1")
            .Announce("other", "0.1.0", EventScript.Carol, "grpc://c:1")
            .NextBlock()
            .Unstake("tools", EventScript.Bob, 50, 0)
            .Deprecate("tools", "1.1.0-rc.1", "superseded")
            .Publish("tools", "1.1.0", _metadata.Add("Tools 1.1", "a", "d"))
            .Announce("tools", "1.1.0", EventScript.Carol, "grpc://c:2")
            .NextBlock()
            .Withdraw("tools", "1.0.0", EventScript.Carol)
            .Transfer("other", EventScript.Bob, EventScript.Alice)
            .Stake("other", EventScript.Carol, 5, 5);
    }

    [Fact]
    public void Apply_SameBatchTwice_ChangesNothing()
    {
        var script = FullScript();
        using var index = Open();
        index.Apply(script.Events, script.Block);
        var once = index.ExportCanonical();

        index.Apply(script.Events, script.Block);

        Assert.Equal(once, index.ExportCanonical());
        Assert.Equal(script.Block, index.LastBlock);
    }

    [Fact]
    public void Apply_SameEventsTwiceWithLaterCheckpoint_ChangesOnlyTheCheckpoint()
    {
        var script = FullScript();
        using var first = Open(path: Path.Combine(_folder, "first.db"));
        using var second = Open(path: Path.Combine(_folder, "second.db"));
        first.Apply(script.Events, script.Block);
        first.Apply([], script.Block + 1);
        second.Apply(script.Events, script.Block);
        second.Apply(script.Events, script.Block + 1);

        Assert.Equal(first.ExportCanonical(), second.ExportCanonical());
    }

    [Fact]
    public void Apply_OneBatchPerBlock_EqualsOneBatch()
    {
        var script = FullScript();
        using var whole = Open(path: Path.Combine(_folder, "whole.db"));
        using var split = Open(path: Path.Combine(_folder, "split.db"));
        whole.Apply(script.Events, script.Block);

        foreach (var block in script.Events.GroupBy(e => e.BlockNumber).OrderBy(g => g.Key))
        {
            split.Apply(block.ToList(), block.Key);
        }

        Assert.Equal(whole.ExportCanonical(), split.ExportCanonical());
        Assert.Equal(script.Block, split.LastBlock);
    }

    [Fact]
    public void Apply_EventsOutOfOrder_AreAppliedByBlockThenLogIndex()
    {
        var script = FullScript();
        using var ordered = Open(path: Path.Combine(_folder, "ordered.db"));
        using var shuffled = Open(path: Path.Combine(_folder, "shuffled.db"));
        ordered.Apply(script.Events, script.Block);
        var reversed = script.Events.AsEnumerable().Reverse().ToList();

        shuffled.Apply(reversed, script.Block);

        Assert.Equal(ordered.ExportCanonical(), shuffled.ExportCanonical());
    }

    [Fact]
    public void Apply_EachEventTwiceInOneBatch_ChangesNothing()
    {
        var script = FullScript();
        using var once = Open(path: Path.Combine(_folder, "once.db"));
        using var twice = Open(path: Path.Combine(_folder, "twice.db"));
        once.Apply(script.Events, script.Block);

        twice.Apply([.. script.Events, .. script.Events], script.Block);

        Assert.Equal(once.ExportCanonical(), twice.ExportCanonical());
    }

    [Fact]
    public void Reopen_KeepsLastBlockAndState()
    {
        var script = FullScript();
        string before;
        string? beforeSearch;
        using (var index = RegistryIndex.Open(IndexPath, EventScript.Deployment, _metadata))
        {
            index.Apply(script.Events, script.Block, "0xabc");
            before = index.ExportCanonical();
            beforeSearch = string.Join(",", Names(index.Search(new SearchQuery(null, null, RankBy.Stake))));
        }

        using var reopened = Open();

        Assert.Equal(script.Block, reopened.LastBlock);
        Assert.Equal("0xabc", reopened.LastBlockHash);
        Assert.Equal(before, reopened.ExportCanonical());
        Assert.Equal(2, reopened.ModuleCount);
        Assert.Equal(beforeSearch, string.Join(",", Names(reopened.Search(new SearchQuery(null, null, RankBy.Stake)))));
        Assert.Equal("1.1.0", reopened.Resolve("tools", null)!.Version);
    }

    [Fact]
    public void UploadCharges_OutliveAReopenAndAReset_StayOutOfTheChainState_AndCanBeForgotten()
    {
        var script = FullScript();
        string state;
        using (var index = RegistryIndex.Open(IndexPath, EventScript.Deployment, _metadata))
        {
            index.Apply(script.Events, script.Block);
            state = index.ExportCanonical();
            index.RecordUpload("0xAbC", new ChargedUpload(new string('a', 64), 10));
            index.RecordUpload("0xabc", new ChargedUpload(new string('b', 64), 20));
            index.RecordUpload("0xdef", new ChargedUpload(new string('c', 64), 30));
            Assert.Equal(state, index.ExportCanonical());
        }

        using var reopened = Open();
        Assert.Equal([(new string('a', 64), 10L), (new string('b', 64), 20L)], reopened.UploadsBy("0xABC").Select(u => (u.Sha256, u.Size)).Order());

        // A reset follows the chain again; the service's own record of uploads is not the chain's.
        reopened.Reset();
        Assert.Equal(2, reopened.UploadsBy("0xabc").Count);

        Assert.Equal(1, reopened.ForgetUploads([new string('a', 64), new string('f', 64)]));
        Assert.Equal([new string('b', 64)], reopened.UploadsBy("0xabc").Select(u => u.Sha256));
        Assert.Single(reopened.UploadsBy("0xdef"));
    }

    [Fact]
    public void Apply_EmptyBatch_MovesCheckpoint()
    {
        using var index = Open();
        Assert.Null(index.LastBlock);

        index.Apply([], 10, "0x10");

        Assert.Equal(10, index.LastBlock);
        Assert.Equal("0x10", index.LastBlockHash);
    }

    [Fact]
    public void Apply_EventAfterThroughBlock_Throws()
    {
        using var index = Open();
        var script = new EventScript().Claim("tools", EventScript.Alice).NextBlock().Publish("tools", "1.0.0", _metadata.Add("x"));

        var ex = Assert.Throws<ArgumentException>(() => index.Apply(script.Events, script.Block - 1));

        Assert.Contains(script.Block.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Null(index.LastBlock);
        Assert.Null(index.Get("tools"));
    }

    // ---- deployment and file lock ----

    [Fact]
    public void Open_OtherChainId_ThrowsMismatchNamingBoth()
    {
        using (Open())
        {
        }

        var other = EventScript.Deployment with { ChainId = 8453 };

        var ex = Assert.Throws<IndexDeploymentMismatchException>(() => RegistryIndex.Open(IndexPath, other, _metadata));

        Assert.Contains("31337", ex.Message);
        Assert.Contains("8453", ex.Message);
    }

    [Fact]
    public void Open_OtherRegistryAddress_ThrowsMismatchNamingBoth()
    {
        using (Open())
        {
        }

        const string otherRegistry = "0x0000000000000000000000000000000000001234";
        var other = EventScript.Deployment with { Registry = otherRegistry };

        var ex = Assert.Throws<IndexDeploymentMismatchException>(() => RegistryIndex.Open(IndexPath, other, _metadata));

        Assert.Contains(EventScript.Deployment.Registry.ToLowerInvariant(), ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(otherRegistry, ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Open_SameDeploymentDifferentAddressCase_Opens()
    {
        using (Open())
        {
        }

        var upper = EventScript.Deployment with { Registry = EventScript.Deployment.Registry.ToUpperInvariant().Replace("0X", "0x", StringComparison.Ordinal) };

        using var index = RegistryIndex.Open(IndexPath, upper, _metadata);
        Assert.NotNull(index);
    }

    [Fact]
    public void Open_SameFileTwice_ThrowsAlreadyOpen()
    {
        using var first = Open();

        var ex = Assert.Throws<IOException>(() => RegistryIndex.Open(IndexPath, EventScript.Deployment, _metadata));

        Assert.Contains("already open", ex.Message);
        Assert.Contains(IndexPath, ex.Message);
    }

    [Fact]
    public void Open_AfterFirstDisposed_Succeeds()
    {
        Open().Dispose();

        using var second = RegistryIndex.Open(IndexPath, EventScript.Deployment, _metadata);
        Assert.Null(second.LastBlock);
    }

    [Fact]
    public void Open_CreatesMissingFolder()
    {
        var nested = Path.Combine(_folder, "a", "b", "index.db");

        using var index = Open(path: nested);

        Assert.True(File.Exists(nested));
        Assert.Equal(nested, index.Path);
    }

    // ---- reset ----

    [Fact]
    public void Reset_EmptiesEverything()
    {
        var script = FullScript();
        using var index = Open();
        var empty = index.ExportCanonical();
        index.Apply(script.Events, script.Block, "0xabc");
        Assert.NotEqual(empty, index.ExportCanonical());

        index.Reset();

        Assert.Null(index.LastBlock);
        Assert.Null(index.LastBlockHash);
        Assert.Equal(0, index.ModuleCount);
        Assert.Empty(index.Search(new SearchQuery(null, null)));
        Assert.Null(index.Get("tools"));
        Assert.Null(index.Resolve("tools", null));
        Assert.Equal(empty, index.ExportCanonical());
    }

    [Fact]
    public void Reset_ThenReapply_RebuildsSameState()
    {
        var script = FullScript();
        using var index = Open();
        index.Apply(script.Events, script.Block);
        var built = index.ExportCanonical();

        index.Reset();
        index.Apply(script.Events, script.Block);

        Assert.Equal(built, index.ExportCanonical());
    }

    [Fact]
    public void Reset_SurvivesReopen()
    {
        var script = FullScript();
        using (var index = RegistryIndex.Open(IndexPath, EventScript.Deployment, _metadata))
        {
            index.Apply(script.Events, script.Block);
            index.Reset();
        }

        using var reopened = Open();
        Assert.Null(reopened.LastBlock);
        Assert.Equal(0, reopened.ModuleCount);
    }

    // ---- metadata ----

    [Fact]
    public void RefreshMetadata_FillsDescriptionOnceThePackageIsKnown()
    {
        using var index = Open();
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var script = new EventScript().Claim("tools", EventScript.Alice).Publish("tools", "1.0.0", hash);
        ApplyAll(index, script);
        var before = Assert.Single(index.Search(new SearchQuery("tools", null)));
        Assert.Null(before.Description);
        Assert.Empty(before.Tags);
        Assert.Empty(index.Search(new SearchQuery(null, "img")));

        _metadata.Set(hash, "Late description", "img");
        Assert.True(index.RefreshMetadata("tools"));

        var after = Assert.Single(index.Search(new SearchQuery("late DESCRIPTION", null)));
        Assert.Equal("tools", after.Name);
        Assert.Equal(["img"], after.Tags);
        Assert.Equal("Late description", index.Get("tools")!.Summary.Description);
        Assert.Equal(["tools"], Names(index.Search(new SearchQuery(null, "img"))));
        Assert.Equal(script.Block, index.LastBlock);
    }

    [Fact]
    public void RefreshMetadata_UnknownName_ReturnsFalse()
    {
        using var index = Open();

        Assert.False(index.RefreshMetadata("nothing"));
    }

    [Fact]
    public void Metadata_ComesFromLatestVersion_ElseHighestDescribed()
    {
        using var index = Open();
        var unknown = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var script = new EventScript()
            .Claim("tools", EventScript.Alice)
            .Publish("tools", "1.0.0", _metadata.Add("First", "v1"))
            .Publish("tools", "1.5.0", _metadata.Add("Middle", "v15"))
            .Publish("tools", "2.0.0", unknown);
        ApplyAll(index, script);

        // 2.0.0 is latest but has no package at hand: the highest described version speaks.
        var summary = index.Get("tools")!.Summary;
        Assert.Equal("2.0.0", summary.LatestVersion);
        Assert.Equal("Middle", summary.Description);
        Assert.Equal(["v15"], summary.Tags);

        _metadata.Set(unknown, "Second", "v2");
        index.RefreshMetadata("tools");
        Assert.Equal("Second", index.Get("tools")!.Summary.Description);
    }

    [Fact]
    public void Metadata_BlankAndDuplicateTags_AreCleaned()
    {
        using var index = Open();
        var script = new EventScript().Claim("tools", EventScript.Alice).Publish("tools", "1.0.0", _metadata.Add("d", " img ", "img", "", "  ", "cli"));
        ApplyAll(index, script);

        Assert.Equal(["img", "cli"], index.Get("tools")!.Summary.Tags);
    }

    // ---- disposal ----

    [Fact]
    public void Dispose_ThenUse_ThrowsObjectDisposed()
    {
        var index = Open();
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Get("tools"));
        Assert.Throws<ObjectDisposedException>(() => index.Apply([], 5));
        index.Dispose();
    }
}
