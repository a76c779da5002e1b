using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Modulus.Modules;
using Modulus.Runtime.Llama;
using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Testing;

namespace Modulus.Models.Tests;

/// <summary>
/// The gguf module's generation loop as the worker runs it, loaded here in the test's process: the
/// text a stream carries, and a cancellation that stops generation within one token.
/// </summary>
public sealed class GgufGenerationTests
{
    [Fact]
    public void GeneratedText_HoldsBackAnIncompleteUtf8Sequence_UntilItsLastByte()
    {
        var text = new GeneratedText([]);
        var euro = Encoding.UTF8.GetBytes("€");
        Assert.Equal("a", text.Add("a"u8));
        Assert.Equal(string.Empty, text.Add(euro.AsSpan(0, 1)));
        Assert.Equal(string.Empty, text.Add(euro.AsSpan(1, 1)));
        Assert.Equal("€", text.Add(euro.AsSpan(2, 1)));
        // A byte that can start nothing, and a sequence cut short at the end, are U+FFFD.
        Assert.Equal("\uFFFD", text.Add([0xFF]));
        Assert.Equal(string.Empty, text.Add([0xE2, 0x82]));
        Assert.Equal("\uFFFD", text.Finish());
    }

    [Fact]
    public void GeneratedText_StopString_SpanningTokens_EndsTheTextBeforeIt()
    {
        var text = new GeneratedText(["\nUser:"]);
        var sent = new StringBuilder();
        foreach (var piece in new[] { "Let there", " be light", ".\n", "Us", "er", ": and" })
        {
            sent.Append(text.Add(Encoding.UTF8.GetBytes(piece)));
        }

        Assert.True(text.Stopped);
        Assert.Equal("Let there be light.", sent.ToString());
        Assert.Equal(string.Empty, text.Finish());
    }

    [Fact]
    public void GeneratedText_TextThatOnlyBeganAStopString_IsSentOnceItCannotBeOne()
    {
        var text = new GeneratedText(["LORD thy God"]);
        Assert.Equal("the ", text.Add("the LO"u8));
        Assert.Equal("LORD of ", text.Add("RD of "u8));
        Assert.Equal("hosts", text.Add("hosts"u8));
        Assert.Equal(string.Empty, text.Add("LORD"u8));
        Assert.Equal("LORD", text.Finish());
        Assert.False(text.Stopped);
    }

    [Fact]
    public async Task Generate_Cancelled_StopsWithinOneToken()
    {
        var directory = Path.Combine(RepositoryPaths.Modules, "text", "generate");
        var manifest = ModuleManifestReader.Read(directory);
        var loader = new GgufModuleLoader(new LlamaNative(NullLogger<LlamaNative>.Instance), NullLogger<GgufModuleLoader>.Instance);
        await using var module = await loader.LoadAsync(new ModuleSource(manifest, "text.generate", directory, "test"), CancellationToken.None);
        Assert.True(module.TryGetEndpoint("generate", out var generate));

        using var cancellation = new CancellationTokenSource();
        var items = new List<string>();
        var context = new CallContext { Module = "text.generate", Endpoint = "generate", CancellationToken = cancellation.Token };
        Value?[] arguments = ["In the beginning", 100, 0.0, null, null, null, null];
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await module.InvokeAsync(generate, arguments, context, (item, _) =>
        {
            items.Add(item.AsString());
            if (items.Count == 3)
            {
                // As a caller that leaves, or a deadline that passes, between two tokens.
                cancellation.Cancel();
            }

            return ValueTask.CompletedTask;
        }));

        Assert.Equal([" ", "o", "f"], items);

        // The context went back to the pool: the module serves the next call in full.
        items.Clear();
        var again = context with { CancellationToken = CancellationToken.None };
        Assert.Equal(Value.Null, await module.InvokeAsync(generate, ["In the beginning", 40, 0.0, null, null, null, null], again, (item, _) =>
        {
            items.Add(item.AsString());
            return ValueTask.CompletedTask;
        }));
        Assert.Equal(" of the LORD thy God, and the LORD thy G", string.Concat(items));
    }
}
