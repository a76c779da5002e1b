using System.Text.Json;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>What every object of one answer shares: its id, time and model.</summary>
/// <param name="Id"><c>cmpl-…</c> or <c>chatcmpl-…</c>, the same in every chunk of a stream.</param>
/// <param name="Created">Unix seconds.</param>
/// <param name="Model">The model id.</param>
/// <param name="IncludeUsage">The client asked for usage in a stream: every chunk carries <c>"usage": null</c> until the last.</param>
internal readonly record struct CompletionHead(string Id, long Created, string Model, bool IncludeUsage);

/// <summary>
/// The two wire shapes of a generation, a text completion (<c>/v1/completions</c>) and a chat
/// completion (<c>/v1/chat/completions</c>): the whole answer, and the chunks of a streamed one (the
/// start, each piece, the finish, the usage). The rest of answering is the same for both and is
/// <see cref="CompletionResponder"/>'s.
/// </summary>
internal abstract class CompletionShape
{
    public static CompletionShape Text { get; } = new TextShape();

    public static CompletionShape Chat { get; } = new ChatShape();

    /// <summary>The prefix of the answer's id.</summary>
    public abstract string IdPrefix { get; }

    /// <summary>The <c>object</c> of a whole answer.</summary>
    protected abstract string WholeObject { get; }

    /// <summary>The <c>object</c> of a chunk.</summary>
    protected abstract string ChunkObject { get; }

    /// <summary>Whether a stream opens with a chunk of its own (a chat's announces the assistant's role).</summary>
    public abstract bool HasStartChunk { get; }

    public void WriteWhole(Utf8JsonWriter json, CompletionHead head, Generation generation, Usage usage)
    {
        WriteHead(json, head, WholeObject);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        WriteWholeChoice(json, generation.Text);
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", generation.FinishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        usage.Write(json);
        json.WriteEndObject();
    }

    public void WriteStartChunk(Utf8JsonWriter json, CompletionHead head) => WriteChunk(json, head, start: true, piece: string.Empty, finishReason: null);

    public void WritePieceChunk(Utf8JsonWriter json, CompletionHead head, string piece) => WriteChunk(json, head, start: false, piece, finishReason: null);

    public void WriteFinishChunk(Utf8JsonWriter json, CompletionHead head, string finishReason) => WriteChunk(json, head, start: false, piece: null, finishReason);

    /// <summary>The last chunk of a stream whose client asked for usage: no choices, the counts.</summary>
    public void WriteUsageChunk(Utf8JsonWriter json, CompletionHead head, Usage usage)
    {
        WriteHead(json, head, ChunkObject);
        json.WriteStartArray("choices");
        json.WriteEndArray();
        usage.Write(json);
        json.WriteEndObject();
    }

    /// <summary>The choice's content in a whole answer: <c>"text"</c>, or a chat's <c>"message"</c>.</summary>
    protected abstract void WriteWholeChoice(Utf8JsonWriter json, string text);

    /// <summary>The choice's content in a chunk: <c>"text"</c>, or a chat's <c>"delta"</c>.</summary>
    protected abstract void WriteChunkChoice(Utf8JsonWriter json, bool start, string? piece);

    private void WriteChunk(Utf8JsonWriter json, CompletionHead head, bool start, string? piece, string? finishReason)
    {
        WriteHead(json, head, ChunkObject);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        WriteChunkChoice(json, start, piece);
        json.WriteNull("logprobs");
        json.WriteString("finish_reason", finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        if (head.IncludeUsage)
        {
            json.WriteNull("usage");
        }

        json.WriteEndObject();
    }

    private static void WriteHead(Utf8JsonWriter json, CompletionHead head, string objectName)
    {
        json.WriteStartObject();
        json.WriteString("id", head.Id);
        json.WriteString("object", objectName);
        json.WriteNumber("created", head.Created);
        json.WriteString("model", head.Model);
        json.WriteNull("system_fingerprint");
    }

    private sealed class TextShape : CompletionShape
    {
        public override string IdPrefix => "cmpl-";

        protected override string WholeObject => "text_completion";

        protected override string ChunkObject => "text_completion";

        public override bool HasStartChunk => false;

        protected override void WriteWholeChoice(Utf8JsonWriter json, string text) => json.WriteString("text", text);

        protected override void WriteChunkChoice(Utf8JsonWriter json, bool start, string? piece) => json.WriteString("text", piece ?? string.Empty);
    }

    private sealed class ChatShape : CompletionShape
    {
        public override string IdPrefix => "chatcmpl-";

        protected override string WholeObject => "chat.completion";

        protected override string ChunkObject => "chat.completion.chunk";

        public override bool HasStartChunk => true;

        protected override void WriteWholeChoice(Utf8JsonWriter json, string text)
        {
            json.WriteStartObject("message");
            json.WriteString("role", "assistant");
            json.WriteString("content", text);
            json.WriteNull("refusal");
            json.WriteEndObject();
        }

        protected override void WriteChunkChoice(Utf8JsonWriter json, bool start, string? piece)
        {
            json.WriteStartObject("delta");
            if (start)
            {
                json.WriteString("role", "assistant");
            }

            if (piece is not null)
            {
                json.WriteString("content", piece);
            }

            json.WriteEndObject();
        }
    }
}
