using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// <c>POST /v1/embeddings</c>: each input text embedded by one call of the model's <c>embed</c>
/// endpoint, in order; as float arrays or, as the OpenAI clients ask by default, base64 of
/// little-endian float32.
/// </summary>
internal sealed class EmbeddingsEndpoint(ModelDirectory directory, ModelCalls calls, IOptions<ModulusServerOptions> options)
{
    /// <summary>The most texts one request may embed (OpenAI's own limit): each is a call.</summary>
    public const int MaxInputs = 2048;

    public async Task HandleAsync(HttpContext context, HttpCall http)
    {
        var (fields, document) = await RequestFields.ReadAsync(context.Request, options.Value.MaxRequestBytes, http.Aborted).ConfigureAwait(false);
        string modelId;
        string[] inputs;
        bool base64;
        using (document)
        {
            modelId = fields.String("model", required: true)!;
            inputs = ReadInputs(fields);
            base64 = fields.String("encoding_format") switch
            {
                null or "float" => false,
                "base64" => true,
                var other => throw OpenAiError.InvalidRequest($"Invalid value for 'encoding_format': '{other}'. Supported values are: 'float' and 'base64'.", "encoding_format", "invalid_value"),
            };
            fields.Ignore("user");
            fields.Unsupported("dimensions", _ => false, "a model's embeddings have the size it makes them");
            fields.RefuseUnread();
        }

        var model = directory.Find(modelId, Routes.Embeddings, m => m.Embed);
        var vectors = new double[inputs.Length][];
        long tokens = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            vectors[i] = await calls.EmbedAsync(http, model, inputs[i]).ConfigureAwait(false);
            tokens += await calls.CountTokensAsync(http, model, inputs[i]).ConfigureAwait(false);
        }

        await JsonAnswer.WriteAsync(context.Response, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < vectors.Length; i++)
            {
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64)
                {
                    json.WriteBase64String("embedding", Float32(vectors[i]));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (var x in vectors[i])
                    {
                        json.WriteNumberValue(x);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model", model.Id);
            new Usage(tokens, null).Write(json);
            json.WriteEndObject();
        }, http.Aborted).ConfigureAwait(false);
    }

    /// <summary>The input: a string or an array of strings, none empty (token arrays are not taken).</summary>
    private static string[] ReadInputs(RequestFields fields)
    {
        var input = fields.Element("input") ?? throw RequestFields.Missing("input");
        string[] texts = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array => input.EnumerateArray().Select((t, i) => t.ValueKind == JsonValueKind.String
                ? t.GetString()!
                : throw RequestFields.WrongType($"input[{i}]", "a string (token arrays are not taken: send the text)", t)).ToArray(),
            _ => throw RequestFields.WrongType("input", "a string or an array of strings", input),
        };
        if (texts.Length is 0 or > MaxInputs)
        {
            throw OpenAiError.InvalidRequest($"Invalid value for 'input': {texts.Length} texts; send 1 to {MaxInputs}.", "input", "invalid_value");
        }

        var empty = Array.FindIndex(texts, t => t.Length == 0);
        return empty < 0
            ? texts
            : throw OpenAiError.InvalidRequest("Invalid value for 'input': an empty text has no embedding.", input.ValueKind == JsonValueKind.Array ? $"input[{empty}]" : "input", "invalid_value");
    }

    private static byte[] Float32(double[] vector)
    {
        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), (float)vector[i]);
        }

        return bytes;
    }
}
