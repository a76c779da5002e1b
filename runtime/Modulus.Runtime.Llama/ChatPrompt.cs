using System.Text;
using LLama;
using LLama.Exceptions;
using Modulus.Sdk;

namespace Modulus.Runtime.Llama;

/// <summary>
/// Turns chat messages into the prompt a model was trained to continue: the model's own chat
/// template (GGUF <c>tokenizer.chat_template</c>) where it has one that llama.cpp knows, else the
/// plain fallback, one line per message and an open assistant turn:
/// <code>
/// System: You answer in one line.
/// User: Who made the light?
/// Assistant:
/// </code>
/// With the fallback, a line that begins "User:" ends the answer (the model would otherwise write
/// the user's next turn too); with a template, the model's end-of-turn token does.
/// </summary>
internal sealed class ChatPrompt
{
    /// <summary>The roles a message may have.</summary>
    public static IReadOnlyList<string> Roles { get; } = ["system", "user", "assistant"];

    /// <summary>What ends a fallback answer: the user's next turn.</summary>
    public const string FallbackStop = "\nUser:";

    private readonly string? _template;

    private ChatPrompt(string? template) => _template = template;

    /// <summary>Whether the model's own template is applied (else the fallback).</summary>
    public bool UsesModelTemplate => _template is not null;

    /// <summary>The chat format for a model: its template when llama.cpp can apply it.</summary>
    /// <param name="weights">The model.</param>
    /// <param name="unknown">Called when the model has a template that llama.cpp does not know.</param>
    public static ChatPrompt For(LLamaWeights weights, Action unknown)
    {
        var template = weights.NativeHandle.GetTemplate(name: null, strict: false);
        if (string.IsNullOrEmpty(template))
        {
            return new ChatPrompt(null);
        }

        try
        {
            // llama.cpp recognises the templates it knows by their text; try one message.
            new LLamaTemplate(template) { AddAssistant = true }.Add("user", "hello").Apply();
            return new ChatPrompt(template);
        }
        catch (MissingTemplateException)
        {
            unknown();
            return new ChatPrompt(null);
        }
    }

    /// <summary>Reads and checks the <c>messages</c> argument.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT naming the message's index and field.</exception>
    public static IReadOnlyList<(string Role, string Content)> ReadMessages(Value messages, string target)
    {
        var list = messages.AsList();
        if (list.Count == 0)
        {
            throw Invalid(target, "messages is empty; give at least one message, e.g. [{\"role\": \"user\", \"content\": \"Hello\"}]");
        }

        var read = new (string, string)[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Kind != ValueKind.Map)
            {
                throw Invalid(target, $"messages[{i}] must be a map {{\"role\": …, \"content\": …}}, not {Describe(list[i])}");
            }

            var message = list[i].AsMap();
            if (!message.TryGetValue("role", out var role))
            {
                throw Invalid(target, $"messages[{i}] has no \"role\"; give one of {Quoted(Roles)}");
            }

            if (role.Kind != ValueKind.String || !Roles.Contains(role.AsString()))
            {
                throw Invalid(target, $"messages[{i}].role must be one of {Quoted(Roles)}, not {Describe(role)}");
            }

            if (!message.TryGetValue("content", out var content))
            {
                throw Invalid(target, $"messages[{i}] has no \"content\"; give the message's text as a string");
            }

            if (content.Kind != ValueKind.String)
            {
                throw Invalid(target, $"messages[{i}].content must be a string, not {Describe(content)}");
            }

            read[i] = (role.AsString(), content.AsString());
        }

        return read;
    }

    /// <summary>The prompt for the messages, with an assistant turn opened for the answer.</summary>
    public string Render(IReadOnlyList<(string Role, string Content)> messages)
    {
        if (_template is not null)
        {
            var template = new LLamaTemplate(_template) { AddAssistant = true };
            foreach (var (role, content) in messages)
            {
                template.Add(role, content);
            }

            return Encoding.UTF8.GetString(template.Apply());
        }

        var prompt = new StringBuilder();
        foreach (var (role, content) in messages)
        {
            prompt.Append(role switch { "system" => "System: ", "user" => "User: ", _ => "Assistant: " }).Append(content).Append('\n');
        }

        return prompt.Append("Assistant:").ToString();
    }

    /// <summary>A value as the argument binder names one: the string "…", the int 5, a map.</summary>
    private static string Describe(Value value) => value.Kind switch
    {
        ValueKind.Null => "null",
        ValueKind.String when value.AsString().Length > 40 => $"the string \"{value.AsString()[..37]}...\"",
        ValueKind.String => $"the string \"{value.AsString()}\"",
        ValueKind.List or ValueKind.Map or ValueKind.Tensor or ValueKind.Bytes => $"a {Value.KindName(value.Kind)}",
        _ => $"the {Value.KindName(value.Kind)} {value}",
    };

    private static string Quoted(IEnumerable<string> values) => string.Join(", ", values.Select(v => $"\"{v}\""));

    private static ModulusException Invalid(string target, string message) => new(StatusCode.InvalidArgument, $"{target}: {message}");
}
