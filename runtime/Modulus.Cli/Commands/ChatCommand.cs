using System.CommandLine;
using Modulus.Client;
using Modulus.Sdk;

namespace Modulus.Cli.Commands;

/// <summary>
/// <c>modulus chat MODULE</c>: a conversation in the terminal with a language model module (any
/// module with a streaming <c>chat</c> endpoint, such as a gguf one). Each line typed is a user
/// message; the reply streams to standard output as it is made, and joins the conversation.
/// </summary>
internal static class ChatCommand
{
    public static Command Create(CliOutput output)
    {
        var module = new Argument<string>("module") { Description = "The model's module, e.g. text.generate (it needs a streaming chat endpoint)." };
        var system = new Option<string?>("--system") { Description = "A system message that starts the conversation." };
        var maxTokens = new Option<int>("--max-tokens") { Description = "The most tokens of one reply.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<double?>("--temperature") { Description = "Sampling temperature (0 for greedy); the model's default when not given." };
        var seed = new Option<long?>("--seed") { Description = "A seed for reproducible replies." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds one reply may take.", DefaultValueFactory = _ => 120 };
        var url = CommonOptions.Url();
        var command = new Command("chat", "Talk to a language model module in the terminal: type a message, read the reply as it streams; /reset starts over, /exit (or end of input) quits.")
        {
            module, system, maxTokens, temperature, seed, timeout, url,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(maxTokens) < 1)
            {
                return output.Usage($"--max-tokens {parse.GetValue(maxTokens)} must be at least 1");
            }

            if (parse.GetValue(timeout) is var seconds && (seconds <= 0 || double.IsNaN(seconds)))
            {
                return output.Usage($"--timeout {seconds} must be a positive number of seconds");
            }

            var name = parse.GetValue(module)!;
            return await ClientAction.RunAsync(output, parse.GetValue(url)!, async client =>
            {
                // A module without a streaming chat endpoint is refused before anything is typed.
                var info = await client.InfoAsync(name, cancellationToken).ConfigureAwait(false);
                if (info.Endpoints.FirstOrDefault(e => e.Name == "chat") is not { Streaming: true })
                {
                    return output.Usage($"{name} has no streaming chat endpoint (it has {string.Join(", ", info.Endpoints.Select(e => e.Name))}); `modulus chat` talks to language model modules such as text.generate");
                }

                var options = new Dictionary<string, Value>(StringComparer.Ordinal) { ["max_tokens"] = parse.GetValue(maxTokens) };
                if (parse.GetValue(temperature) is { } t)
                {
                    options["temperature"] = t;
                }

                if (parse.GetValue(seed) is { } s)
                {
                    options["seed"] = s;
                }

                var start = parse.GetValue(system) is { } text ? new[] { Message("system", text) } : [];
                var conversation = new List<Value>(start);
                output.Error.WriteLine($"Talking to {name} {info.Version}; /reset starts over, /exit quits.");
                while (!cancellationToken.IsCancellationRequested)
                {
                    output.Error.Write("you> ");
                    output.Error.Flush();
                    var line = await output.In.ReadLineAsync(cancellationToken).ConfigureAwait(false);
                    if (line is null || line.Trim() == "/exit")
                    {
                        return 0;
                    }

                    if (line.Trim() == "/reset")
                    {
                        conversation = new List<Value>(start);
                        continue;
                    }

                    if (line.Length == 0)
                    {
                        continue;
                    }

                    conversation.Add(Message("user", line));
                    var reply = new System.Text.StringBuilder();
                    try
                    {
                        var arguments = new Dictionary<string, Value>(options) { ["messages"] = Value.List(conversation) };
                        await foreach (var piece in client.StreamAsync($"{name}/chat", [], arguments, new ModulusCallOptions(TimeSpan.FromSeconds(seconds)), cancellationToken).ConfigureAwait(false))
                        {
                            var textPiece = piece.Kind == ValueKind.String ? piece.AsString() : ValueJson.Serialize(piece);
                            reply.Append(textPiece);
                            output.Out.Write(textPiece);
                            output.Out.Flush();
                        }

                        output.Out.WriteLine();
                        conversation.Add(Message("assistant", reply.ToString()));
                    }
                    catch (ModulusException ex) when (ex.Code is not (StatusCode.Unavailable or StatusCode.Cancelled))
                    {
                        // A reply that failed (too long for the context, say) is not part of the conversation.
                        if (reply.Length > 0)
                        {
                            output.Out.WriteLine();
                        }

                        conversation.RemoveAt(conversation.Count - 1);
                        output.Error.WriteLine($"{ex.Code.ToWireName()}: {ex.Message}{(ex.Code == StatusCode.InvalidArgument ? " (/reset starts a shorter conversation)" : string.Empty)}");
                    }
                }

                return 0;
            }).ConfigureAwait(false);
        });
        return command;
    }

    private static Value Message(string role, string content) =>
        Value.Map(new Dictionary<string, Value>(StringComparer.Ordinal) { ["role"] = role, ["content"] = content });
}
