using System.Text.Json;
using Modulus.Cli;
using Modulus.Testing;

namespace Modulus.Cli.Tests;

/// <summary>The verbs as a user runs them, in process, against a real host; output captured.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("util/echo", "public sealed class Echo : Module { public Value Forward(Value v) => v; }", """, "description": "Echoes." """);
        _tree.AddPython("text/upper", "import modulus\nclass U(modulus.Module):\n    @modulus.endpoint(idempotent=True)\n    def forward(self, text: str, times: int = 1) -> str:\n        return text.upper() * times\n"
            + "    @modulus.endpoint\n    def letters(self, text: str):\n        yield from text.upper()\n"
            + "    @modulus.endpoint\n    def counts(self, n: int):\n        for i in range(n):\n            yield {'i': i}\n");
        // A chat model in miniature: it answers with the number of messages it was given and the last one, word by word.
        _tree.AddCSharp("talk/bot", """
            public sealed class Bot : Module
            {
                public string Forward(string text) => text;

                [Endpoint]
                public async IAsyncEnumerable<string> Chat(List<Dictionary<string, object?>> messages, int max_tokens = 128)
                {
                    var last = (string)messages[^1]["content"]!;
                    if (last == "too long")
                    {
                        throw new ModulusException(StatusCode.InvalidArgument, "prompt beyond the context");
                    }

                    yield return $"{messages.Count}:";
                    foreach (var word in last.Split(' '))
                    {
                        await Task.Yield();
                        yield return " " + word;
                    }
                }
            }
            """);
        _tree.Write("broken/module.json", "{ nope");
        _host = await TestHost.StartAsync(_tree);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Call_JsonDeeperThanTheLimit_IsRefusedNotSentAsAString()
    {
        var (code, stdout, stderr) = await RunAsync("call", "util.echo", new string('[', 100) + new string(']', 100), "--url", _host.Address);
        Assert.NotEqual(0, code);
        Assert.Contains("at most 64 levels deep", stderr);
        Assert.Empty(stdout.Trim());
    }

    [Fact]
    public async Task Call_ToAnIpv6Address_Works()
    {
        if (!System.Net.Sockets.Socket.OSSupportsIPv6)
        {
            return;
        }

        await using var six = await TestHost.StartAsync(_tree, configure: o => o.Host = "::1");
        foreach (var address in six.Addresses)
        {
            Assert.StartsWith(address[..address.IndexOf(':')] + "://[::1]:", address, StringComparison.Ordinal);
            var (code, stdout, stderr) = await RunAsync("call", "util.echo", "\"six\"", "--url", address);
            Assert.True(code == 0, stderr);
            Assert.Equal("\"six\"", stdout.Trim());
        }
    }

    [Fact]
    public async Task CallStream_PrintsTextAsItArrives_AndOtherItemsAsJsonLines()
    {
        var tcp = _host.Addresses.Single(a => a.StartsWith("tcp://", StringComparison.Ordinal));
        foreach (var url in new[] { _host.Address, tcp })
        {
            var (code, stdout, stderr) = await RunAsync("call", "text.upper/letters", "héllo", "--stream", "--url", url);
            Assert.True(code == 0, stderr);
            Assert.Equal("HÉLLO\n", stdout.ReplaceLineEndings("\n"));

            (code, stdout, stderr) = await RunAsync("call", "text.upper/counts", "3", "--stream", "--url", url);
            Assert.True(code == 0, stderr);
            Assert.Equal(["{\"i\":0}", "{\"i\":1}", "{\"i\":2}"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        // Without --stream the items come back as one JSON list.
        var (_, list, _) = await RunAsync("call", "text.upper/letters", "ab", "--url", _host.Address);
        Assert.Equal("[\"A\",\"B\"]", list.Trim());
    }

    [Fact]
    public async Task CallStream_OverUdp_SaysToUseTcpOrGrpc()
    {
        var udp = _host.Addresses.Single(a => a.StartsWith("udp://", StringComparison.Ordinal));
        var (code, stdout, stderr) = await RunAsync("call", "text.upper/letters", "x", "--stream", "--url", udp);
        Assert.NotEqual(0, code);
        Assert.Empty(stdout.Trim());
        Assert.StartsWith("FAILED_PRECONDITION: ", stderr);
        Assert.Contains("TCP or gRPC", stderr);
    }

    [Fact]
    public async Task Chat_StreamsEachReply_KeepsTheConversation_AndResets()
    {
        var (code, stdout, stderr) = await RunWithInputAsync("hello there\ntoo long\nagain\n/reset\nfresh\n/exit\nnever read\n", "chat", "talk.bot", "--system", "be brief", "--url", _host.Address);
        Assert.True(code == 0, stderr);
        // system + user = 2 messages; the failed turn is not kept, so system + user + assistant + user = 4; after /reset, 2 again.
        Assert.Equal(["2: hello there", "4: again", "2: fresh"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("INVALID_ARGUMENT: prompt beyond the context", stderr);
    }

    [Fact]
    public async Task Chat_WithAModuleThatCannotChat_SaysWhich()
    {
        var (code, _, stderr) = await RunWithInputAsync("hi\n", "chat", "util.echo", "--url", _host.Address);
        Assert.Equal(2, code);
        Assert.Contains("util.echo has no streaming chat endpoint", stderr);
    }

    [Fact]
    public async Task Call_PrintsTheResultAsJson()
    {
        var (code, stdout, _) = await RunAsync("call", "util.echo", """{"a":[1,2.5,"x"]}""", "--url", _host.Address);
        Assert.Equal(0, code);
        Assert.Equal("""{"a":[1,2.5,"x"]}""", stdout.Trim());
    }

    [Fact]
    public async Task Call_NonJsonArgumentIsAString_KwParsesLikeArgs()
    {
        var (code, stdout, _) = await RunAsync("call", "text.upper", "hello world", "--kw", "times=2", "--url", _host.Address);
        Assert.Equal(0, code);
        Assert.Equal("\"HELLO WORLDHELLO WORLD\"", stdout.Trim());
    }

    [Fact]
    public async Task Call_Failure_PrintsCodeAndMessageOnStderr_AndExitsNonZero()
    {
        var (code, stdout, stderr) = await RunAsync("call", "text.upper", "--kw", "times=x", "--url", _host.Address);
        Assert.NotEqual(0, code);
        Assert.Empty(stdout);
        Assert.StartsWith("INVALID_ARGUMENT: ", stderr);
        Assert.Contains("\"times\" must be int but is the string \"x\"", stderr);
    }

    [Fact]
    public async Task Call_MalformedTensorArgument_IsAUsageError()
    {
        var (code, _, stderr) = await RunAsync("call", "util.echo", """{"$tensor":{"dtype":"FP32","shape":[2],"data":[1]}}""", "--url", _host.Address);
        Assert.Equal(2, code);
        Assert.Contains("2 elements", stderr);
    }

    [Fact]
    public async Task Call_UnreachableHost_IsUnavailable()
    {
        var (code, _, stderr) = await RunAsync("call", "util.echo", "x", "--url", "grpc://127.0.0.1:1");
        Assert.Equal(1, code);
        Assert.StartsWith("UNAVAILABLE: ", stderr);
    }

    [Fact]
    public async Task Ls_PrintsATableAndTheFaults()
    {
        var (code, stdout, _) = await RunAsync("ls", "--url", _host.Address);
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("MODULE", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("text.upper ", StringComparison.Ordinal) && l.Contains("python", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("util.echo ", StringComparison.Ordinal) && l.Contains("Echoes.", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("failed: ", StringComparison.Ordinal) && l.Contains("broken/module.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ls_Json_IsParseable()
    {
        var (code, stdout, _) = await RunAsync("ls", "--json", "--url", _host.Address);
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(["talk.bot", "text.upper", "util.echo"], json.RootElement.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.Single(json.RootElement.GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task Info_ShowsSignatures_AndJson()
    {
        var (code, stdout, _) = await RunAsync("info", "text.upper", "--url", _host.Address);
        Assert.Equal(0, code);
        Assert.Contains("forward(text: string, times: int = 1) -> string", stdout);
        var row = stdout.Split('\n').Single(l => l.StartsWith("forward ", StringComparison.Ordinal));
        Assert.Matches(@"-> string\s+yes\b", row);
        Assert.Contains("IDEMPOTENT", stdout);

        var (_, json, _) = await RunAsync("info", "text.upper", "--json", "--url", _host.Address);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("python", document.RootElement.GetProperty("language").GetString());
        var endpoints = document.RootElement.GetProperty("endpoints").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!);
        Assert.True(endpoints["forward"].GetProperty("idempotent").GetBoolean());
        // A generator endpoint streams, and its signature says so.
        Assert.True(endpoints["letters"].GetProperty("streaming").GetBoolean());
        Assert.Contains("letters(text: string) -> stream[any]", stdout);

        var (_, echoJson, _) = await RunAsync("info", "util.echo", "--json", "--url", _host.Address);
        using var echo = JsonDocument.Parse(echoJson);
        Assert.False(echo.RootElement.GetProperty("endpoints")[0].GetProperty("idempotent").GetBoolean());

        var (missing, _, stderr) = await RunAsync("info", "nope", "--url", _host.Address);
        Assert.Equal(1, missing);
        Assert.StartsWith("NOT_FOUND: ", stderr);
    }

    [Theory]
    [InlineData("csharp")]
    [InlineData("python")]
    public async Task New_ScaffoldsAModuleThatServesAsItIs(string language)
    {
        using var tree = new TempTree();
        var (code, stdout, _) = await RunAsync("new", "demo.words", "--lang", language, "--into", tree.Root);
        Assert.Equal(0, code);
        Assert.Contains("Created demo.words", stdout);

        await using var host = await TestHost.StartAsync(tree);
        Assert.Empty(host.Server.Catalog.Faults);
        Assert.Equal("hello world", (await host.Client.CallAsync("demo.words", "hello world")).AsString());
        Assert.Equal(2, (await host.Client.CallAsync("demo.words/word_count", "hello world")).AsInt());
    }

    [Fact]
    public async Task New_BadLanguageOrName_IsAUsageError()
    {
        using var tree = new TempTree();
        Assert.NotEqual(0, (await RunAsync("new", "x", "--lang", "cobol", "--into", tree.Root)).Code);
        var (code, _, stderr) = await RunAsync("new", "Bad Name", "--into", tree.Root);
        Assert.Equal(2, code);
        Assert.Contains("not a module name", stderr);
    }

    [Fact]
    public async Task Earnings_FromAFileThatIsNotALedger_OrADirectory_FailsSayingWhich()
    {
        using var folder = new TempTree();
        var noise = Path.Combine(folder.Root, "noise.bin");
        File.WriteAllBytes(noise, [7, 255, .. "garbage that no host wrote\n"u8]);
        var (code, stdout, stderr) = await RunAsync("earnings", "--ledger", noise);
        Assert.Equal(1, code);
        Assert.Contains($"{noise} is not a voucher ledger", stderr);
        Assert.DoesNotContain("owed", stdout);

        (code, _, stderr) = await RunAsync("earnings", "--ledger", folder.Root);
        Assert.Equal(2, code);
        Assert.Contains("is a directory: pass the ledger file itself", stderr);
    }

    [Fact]
    public async Task Serve_ASettingThatIsNotOfItsType_IsAUsageErrorNamingIt_NotAStackTrace()
    {
        // The tests of this class run one at a time, so the variable is seen by this serve alone.
        Environment.SetEnvironmentVariable("Modulus__MaxConnections", "many");
        try
        {
            var (code, _, stderr) = await RunAsync("serve", _tree.Root, "--grpc-port", "0", "--tcp-port", "0", "--udp-port", "0", "--no-http");
            Assert.Equal(2, code);
            Assert.Contains("'many' at 'Modulus:MaxConnections' to type 'System.Int64': fix that setting", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Modulus__MaxConnections", null);
        }
    }

    [Fact]
    public async Task Serve_MissingTree_IsAUsageErrorSayingWhatToDo()
    {
        var (code, _, stderr) = await RunAsync("serve", "/nonexistent/tree", "--grpc-port", "0");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);
    }

    [Fact]
    public async Task Keys_NewLsExportAddress_ThenASignedCall()
    {
        var passphrase = _tree.Write("secret.txt", "s3cret\n");
        _tree.AddCSharp("whoami", "public sealed class W : Module { public string Forward(CallContext c) => c.Caller ?? \"anonymous\"; }", """, "access": { "mode": "signed" }""");
        await _host.Server.Catalog.ReloadAsync(CancellationToken.None);

        var (created, stdout, _) = await RunAsync("keys", "new", "alice", "--passphrase-file", passphrase);
        Assert.Equal(0, created);
        Assert.Contains("Created key alice: 0x", stdout);

        var (_, address, _) = await RunAsync("keys", "export-address", "alice");
        Assert.Matches("^0x[0-9a-fA-F]{40}$", address.Trim());
        var (_, list, _) = await RunAsync("keys", "ls");
        Assert.Contains(address.Trim(), list);

        var tcp = _host.Addresses.Single(a => a.StartsWith("tcp://", StringComparison.Ordinal));
        var (signed, result, _) = await RunAsync("call", "whoami", "--key", "alice", "--passphrase-file", passphrase, "--url", tcp);
        Assert.Equal(0, signed);
        Assert.Equal($"\"{address.Trim()}\"", result.Trim(), ignoreCase: true);

        var (unsigned, _, denied) = await RunAsync("call", "whoami", "--url", tcp);
        Assert.Equal(1, unsigned);
        Assert.StartsWith("PERMISSION_DENIED: ", denied);

        var wrong = _tree.Write("wrong.txt", "nope\n");
        var (badPassphrase, _, error) = await RunAsync("call", "whoami", "--key", "alice", "--passphrase-file", wrong, "--url", tcp);
        Assert.Equal(2, badPassphrase);
        Assert.Contains("passphrase does not open key \"alice\"", error);
    }

    [Fact]
    public async Task NameTheContractRefuses_IsRefusedByNewAndByServe_InOneSentence()
    {
        Assert.False(Modulus.Modules.ModuleName.TryParse("Text.Tokenize", out _, out var sentence));

        var (code, _, stderr) = await RunAsync("new", "Text.Tokenize", "--into", _tree.Root);
        Assert.Equal(2, code);
        Assert.Contains(sentence, stderr);

        _tree.AddCSharp("Text/Tokenize", "public sealed class T : Module { public string Forward(string s) => s; }");
        await _host.Server.Catalog.ReloadAsync(CancellationToken.None);
        var (lsCode, listing, _) = await RunAsync("ls", "--url", _host.Address);
        Assert.Equal(0, lsCode);
        Assert.Contains(sentence, listing);
    }

    [Fact]
    public async Task VersionTheContractRefuses_IsRefusedByServe_InTheSentenceOfTheRule()
    {
        Assert.False(Modulus.Modules.ModuleVersion.TryParse("1.0.0-01", out _, out var sentence));
        _tree.AddCSharp("util/leading", "public sealed class L : Module { public string Forward(string s) => s; }", version: "1.0.0-01");
        await _host.Server.Catalog.ReloadAsync(CancellationToken.None);

        var (_, listing, _) = await RunAsync("ls", "--url", _host.Address);

        Assert.Contains(sentence, listing);
    }

    [Fact]
    public async Task Pack_PrintsTheContentHashTheHostServes_AndWritesThePackage()
    {
        var folder = Path.Combine(_tree.Root, "util", "echo");
        var output = Path.Combine(_tree.Root, ".out", "echo.tar");

        var (code, stdout, stderr) = await RunAsync("pack", folder, "--out", output, "--json");

        Assert.True(code == 0, stderr);
        var packed = JsonDocument.Parse(stdout).RootElement;
        var served = await _host.Client.InfoAsync("util.echo");
        Assert.Equal(served.ContentHash, packed.GetProperty("sha256").GetString());
        Assert.Equal(served.ContentHash, Modulus.Modules.ContentHash.Of(File.ReadAllBytes(output)));
        var (badCode, _, badError) = await RunAsync("pack", Path.Combine(_tree.Root, "broken"));
        Assert.Equal(2, badCode);
        Assert.Contains("not valid JSON", badError);
    }

    [Theory]
    [InlineData("@")]
    [InlineData("Text.Stats")]
    [InlineData("text.stats@1.0")]
    public async Task Install_MalformedTarget_IsRefusedInTheRulesSentence_BeforeAnyChainIsAsked(string target)
    {
        var (code, _, stderr) = await RunAsync("install", target, "--deployment", Path.Combine(_tree.Root, "absent.json"));

        Assert.Equal(2, code);
        Assert.DoesNotContain("deployment", stderr);
        Assert.Contains(target.Contains('@') && target != "@" ? "is not a semantic version" : "is not a module name", stderr);
    }

    [Fact]
    public async Task Pack_FolderWithoutManifest_NamesTheFileOnce()
    {
        var empty = Path.Combine(_tree.Root, "empty");
        Directory.CreateDirectory(empty);

        var (code, _, stderr) = await RunAsync("pack", empty);

        Assert.Equal(2, code);
        Assert.Equal($"error: {Path.Combine(empty, "module.json")}: the file is missing; a module folder needs a module.json (`modulus new NAME` makes one)", stderr.Trim());
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunWithInputAsync(string input, params string[] args)
    {
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ModulusCli.RunAsync(args, stdout, stderr, new Modulus.Client.Keys.KeyRing(Path.Combine(_tree.Root, ".keys")), stdin);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ModulusCli.RunAsync(args, stdout, stderr, new Modulus.Client.Keys.KeyRing(Path.Combine(_tree.Root, ".keys")));
        return (code, stdout.ToString(), stderr.ToString());
    }
}
