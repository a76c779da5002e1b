using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// <c>POST /v1/chat/completions</c>: a conversation answered by the model's <c>chat</c> endpoint,
/// which takes the messages as maps <c>{"role", "content"}</c> and applies its own chat template.
/// </summary>
internal sealed class ChatCompletionsEndpoint(ModelDirectory directory, CompletionResponder responder, IOptions<ModulusServerOptions> options)
{
    /// <summary>The roles a message may have; tool and function messages need tool calls, which models here do not make.</summary>
    private static readonly string[] Roles = ["system", "developer", "user", "assistant"];

    public async Task HandleAsync(HttpContext context, HttpCall http)
    {
        var (fields, document) = await RequestFields.ReadAsync(context.Request, options.Value.MaxRequestBytes, http.Aborted).ConfigureAwait(false);
        using (document)
        {
            var modelId = fields.String("model", required: true)!;
            var (messages, promptText) = ReadMessages(fields);
            var generation = GenerationOptions.Read(fields, "max_completion_tokens", "max_tokens");
            fields.Ignore("user");
            foreach (var tools in new[] { "tools", "tool_choice", "functions", "function_call", "parallel_tool_calls" })
            {
                fields.Unsupported(tools, _ => false, "models here make no tool calls");
            }

            fields.Unsupported("response_format", v => v.ValueKind == JsonValueKind.Object && v.TryGetProperty("type", out var type) && type.ValueEquals("text"), "models here answer in plain text only ({\"type\": \"text\"})");
            fields.Unsupported("logprobs", v => v.ValueKind == JsonValueKind.False, "models here give no log probabilities");
            fields.Unsupported("top_logprobs", _ => false, "models here give no log probabilities");
            fields.RefuseUnread();

            var model = directory.Find(modelId, Routes.ChatCompletions, m => m.Chat);
            await responder.AnswerAsync(context, http, new CompletionRequest(model, model.Chat!, ("messages", messages), promptText, generation, CompletionShape.Chat)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The messages as the chat endpoint takes them, and the text their prompt tokens are counted
    /// on: the contents, one a line (the chat template's own tokens are the model's business).
    /// </summary>
    private static (Value Messages, string PromptText) ReadMessages(RequestFields fields)
    {
        var messages = fields.Element("messages") ?? throw RequestFields.Missing("messages");
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw RequestFields.WrongType("messages", "an array", messages);
        }

        if (messages.GetArrayLength() == 0)
        {
            throw OpenAiError.InvalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages", "empty_array");
        }

        var read = new List<Value>();
        var prompt = new StringBuilder();
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var name = $"messages[{index++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw RequestFields.WrongType(name, "an object", message);
            }

            var field = RequestFields.Of(message, name + ".");
            var role = field.String("role", required: true)!;
            if (!Roles.Contains(role, StringComparer.Ordinal))
            {
                throw OpenAiError.InvalidRequest($"Invalid value for '{name}.role': '{role}'. Supported roles here: {string.Join(", ", Roles)} (tool messages need tool calls, which models here do not make).", name + ".role", "invalid_value");
            }

            var content = Content(field, name);
            field.Ignore("name");
            field.RefuseUnread();
            read.Add(Value.Map([new("role", role), new("content", content)]));
            prompt.Append(prompt.Length == 0 ? string.Empty : "\n").Append(content);
        }

        return (Value.List(read), prompt.ToString());
    }

    /// <summary>A message's content: a string, or an array of text parts, joined.</summary>
    private static string Content(RequestFields message, string name)
    {
        var content = message.Element("content") ?? throw RequestFields.Missing(name + ".content");
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw RequestFields.WrongType(name + ".content", "a string or an array of text parts", content);
        }

        var text = new StringBuilder();
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partName = $"{name}.content[{index++}]";
            if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("type", out var type) || !type.ValueEquals("text")
                || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
            {
                throw OpenAiError.InvalidRequest($"Invalid value for '{partName}': models here take text parts only ({{\"type\": \"text\", \"text\": \"…\"}}).", partName, "invalid_value");
            }

            text.Append(partText.GetString());
        }

        return text.ToString();
    }
}
