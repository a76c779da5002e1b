using Microsoft.Extensions.Logging;

namespace Modulus.Runtime.Llama;

/// <summary>Log messages of the gguf module kind, in the worker that serves the model.</summary>
internal static partial class LlamaLog
{
    [LoggerMessage(600, LogLevel.Information, "{Module}: loaded {File} ({Architecture}, {Parameters:N0} parameters, {Quantization}) with {Contexts} contexts of {Context} tokens and {Threads} threads each in {ElapsedMs} ms", EventName = "GgufLoaded")]
    public static partial void Loaded(ILogger logger, string module, string file, string architecture, ulong parameters, string quantization, int contexts, int context, int threads, long elapsedMs);

    [LoggerMessage(601, LogLevel.Information, "{Module}: the model's chat template is not one llama.cpp knows; chat uses the plain fallback (\"User: …\\nAssistant:\")", EventName = "GgufChatTemplateUnknown")]
    public static partial void ChatTemplateUnknown(ILogger logger, string module);

    [LoggerMessage(602, LogLevel.Warning, "llama.cpp: {Message}", EventName = "LlamaCppError")]
    public static partial void NativeError(ILogger logger, string message);

    [LoggerMessage(603, LogLevel.Debug, "llama.cpp: {Message}", EventName = "LlamaCppWarning")]
    public static partial void NativeWarning(ILogger logger, string message);
}
