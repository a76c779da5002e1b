using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>The routes of the OpenAI-compatible API.</summary>
internal static class Routes
{
    public const string Models = "/v1/models";
    public const string Completions = "/v1/completions";
    public const string ChatCompletions = "/v1/chat/completions";
    public const string Embeddings = "/v1/embeddings";
}

/// <summary>
/// The edge of the OpenAI-compatible API: gives each request of the HTTP listener to its route's
/// endpoint, with its caller (by bearer key) and deadline (<c>Modulus:Http:Timeout</c>), and answers
/// every failure in OpenAI's error shape. Nothing past this edge writes an error response.
/// </summary>
internal sealed class OpenAiRouter(
    ModelsEndpoint models,
    CompletionsEndpoint completions,
    ChatCompletionsEndpoint chat,
    EmbeddingsEndpoint embeddings,
    ApiKeyCallers keys,
    IOptions<ModulusServerOptions> options,
    TimeProvider time,
    ILogger<OpenAiRouter> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value is { Length: > 1 } value ? value.TrimEnd('/') : request.Path.Value ?? "/";
        var http = HttpCall.Of(context, keys.Resolve(request), options.Value.Http.Timeout, time);
        try
        {
            await RouteAsync(context, http, path).ConfigureAwait(false);
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or IOException or ModulusException or OpenAiError)
        {
            // The client left (mid-stream, say): its call was cancelled with it; there is nobody to answer.
            OpenAiLog.ClientLeft(logger, request.Method, path);
        }
        catch (OpenAiError error) when (!context.Response.HasStarted)
        {
            await RefuseAsync(context, path, error).ConfigureAwait(false);
        }
        catch (ModulusException ex) when (!context.Response.HasStarted)
        {
            await RefuseAsync(context, path, http.ErrorOf(ex)).ConfigureAwait(false);
        }
    }

    private Task RouteAsync(HttpContext context, HttpCall http, string path)
    {
        var method = context.Request.Method;
        return path switch
        {
            Routes.Models => Only(HttpMethods.Get, () => models.ListAsync(context)),
            _ when path.StartsWith(Routes.Models + "/", StringComparison.Ordinal) =>
                Only(HttpMethods.Get, () => models.RetrieveAsync(context, Uri.UnescapeDataString(path[(Routes.Models.Length + 1)..]))),
            Routes.Completions => Only(HttpMethods.Post, () => completions.HandleAsync(context, http)),
            Routes.ChatCompletions => Only(HttpMethods.Post, () => chat.HandleAsync(context, http)),
            Routes.Embeddings => Only(HttpMethods.Post, () => embeddings.HandleAsync(context, http)),
            _ => throw new OpenAiError(StatusCodes.Status404NotFound, "invalid_request_error",
                $"Invalid URL ({method} {path}): this host serves GET {Routes.Models}, POST {Routes.Completions}, POST {Routes.ChatCompletions} and POST {Routes.Embeddings}.",
                code: "unknown_url"),
        };

        Task Only(string allowed, Func<Task> handle)
        {
            if (string.Equals(method, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return handle();
            }

            context.Response.Headers.Allow = allowed;
            throw new OpenAiError(StatusCodes.Status405MethodNotAllowed, "invalid_request_error", $"{path} takes {allowed}, not {method}.", code: "method_not_allowed");
        }
    }

    private async Task RefuseAsync(HttpContext context, string path, OpenAiError error)
    {
        OpenAiLog.RequestRefused(logger, context.Request.Method, path, error.Status, error.Message);
        await error.WriteAsync(context.Response, context.RequestAborted).ConfigureAwait(false);
    }
}
