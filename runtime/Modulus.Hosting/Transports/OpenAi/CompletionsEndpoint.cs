using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary><c>POST /v1/completions</c>: a prompt continued by the model's <c>generate</c> endpoint.</summary>
internal sealed class CompletionsEndpoint(ModelDirectory directory, CompletionResponder responder, IOptions<ModulusServerOptions> options)
{
    public async Task HandleAsync(HttpContext context, HttpCall http)
    {
        var (fields, document) = await RequestFields.ReadAsync(context.Request, options.Value.MaxRequestBytes, http.Aborted).ConfigureAwait(false);
        using (document)
        {
            var modelId = fields.String("model", required: true)!;
            var prompt = ReadPrompt(fields);
            var generation = GenerationOptions.Read(fields, "max_tokens");
            fields.Ignore("user");
            fields.Unsupported("echo", v => v.ValueKind == JsonValueKind.False, "it does not echo the prompt back");
            fields.Unsupported("best_of", v => v.ValueKind == JsonValueKind.Number && v.GetDouble() == 1, "it makes one completion per request");
            fields.Unsupported("logprobs", _ => false, "models here give no log probabilities");
            fields.Unsupported("suffix", _ => false, "it does not insert text");
            fields.RefuseUnread();

            var model = directory.Find(modelId, Routes.Completions, m => m.Generate);
            await responder.AnswerAsync(context, http, new CompletionRequest(model, model.Generate, ("prompt", prompt), prompt, generation, CompletionShape.Text)).ConfigureAwait(false);
        }
    }

    /// <summary>The prompt: a string, or an array holding one string (one prompt per request; token arrays are not taken).</summary>
    private static string ReadPrompt(RequestFields fields)
    {
        var prompt = fields.Element("prompt") ?? throw RequestFields.Missing("prompt");
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return prompt.GetString()!;
        }

        if (prompt.ValueKind == JsonValueKind.Array && prompt.GetArrayLength() == 1 && prompt[0].ValueKind == JsonValueKind.String)
        {
            return prompt[0].GetString()!;
        }

        throw prompt.ValueKind == JsonValueKind.Array && prompt.EnumerateArray().All(p => p.ValueKind == JsonValueKind.String)
            ? OpenAiError.InvalidRequest($"Invalid value for 'prompt': {prompt.GetArrayLength()} prompts; this host completes one prompt per request (send a request for each).", "prompt", "invalid_value")
            : RequestFields.WrongType("prompt", "a string (token arrays are not taken: send the text)", prompt);
    }
}
