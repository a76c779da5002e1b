using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>What one completion request asks of its model, once read and checked.</summary>
/// <param name="Model">The model.</param>
/// <param name="Endpoint">The endpoint called: <c>generate</c> or <c>chat</c>.</param>
/// <param name="Input">The input argument's name and value (<c>prompt</c>, <c>messages</c>).</param>
/// <param name="PromptText">The text whose tokens are the prompt's in the usage counts.</param>
/// <param name="Options">The sampling and answer options.</param>
/// <param name="Shape">How the answer is written.</param>
internal sealed record CompletionRequest(Model Model, EndpointSchema Endpoint, (string Name, Value Value) Input, string PromptText, GenerationOptions Options, CompletionShape Shape);

/// <summary>
/// Answers a completion or chat completion: whole, or streamed as server-sent events with the
/// model's pieces as they come. A call refused before its first piece is answered with its own
/// status, as any request is; once the stream has begun its status is sent, so a failure then is an
/// error event (<c>data: {"error": …}</c>, which the OpenAI clients raise), and the stream ends without
/// <c>[DONE]</c>. A client that goes away cancels the call (its <c>RequestAborted</c> is the call's
/// token), so the model stops.
/// </summary>
internal sealed class CompletionResponder(ModelCalls calls, TimeProvider time, ILogger<CompletionResponder> logger)
{
    public async Task AnswerAsync(HttpContext context, HttpCall http, CompletionRequest request)
    {
        var (model, endpoint, input, promptText, options, shape) = request;
        var head = new CompletionHead(shape.IdPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), time.GetUtcNow().ToUnixTimeSeconds(), model.Id, options.Stream && options.IncludeUsage);
        if (!options.Stream)
        {
            var whole = await calls.GenerateAsync(http, model, endpoint, input, options, onPiece: null).ConfigureAwait(false);
            var usage = new Usage(await calls.CountTokensAsync(http, model, promptText).ConfigureAwait(false), whole.Pieces);
            await JsonAnswer.WriteAsync(context.Response, StatusCodes.Status200OK, json => shape.WriteWhole(json, head, whole, usage), http.Aborted).ConfigureAwait(false);
            return;
        }

        var events = new ServerSentEvents(context);
        try
        {
            var generation = await calls.GenerateAsync(http, model, endpoint, input, options, async (piece, ct) =>
            {
                if (!events.Started && shape.HasStartChunk)
                {
                    await events.WriteAsync(json => shape.WriteStartChunk(json, head), ct).ConfigureAwait(false);
                }

                await events.WriteAsync(json => shape.WritePieceChunk(json, head, piece), ct).ConfigureAwait(false);
            }).ConfigureAwait(false);
            if (!events.Started && shape.HasStartChunk)
            {
                await events.WriteAsync(json => shape.WriteStartChunk(json, head), http.Aborted).ConfigureAwait(false);
            }

            await events.WriteAsync(json => shape.WriteFinishChunk(json, head, generation.FinishReason), http.Aborted).ConfigureAwait(false);
            if (options.IncludeUsage)
            {
                var usage = new Usage(await calls.CountTokensAsync(http, model, promptText).ConfigureAwait(false), generation.Pieces);
                await events.WriteAsync(json => shape.WriteUsageChunk(json, head, usage), http.Aborted).ConfigureAwait(false);
            }

            await events.WriteDoneAsync(http.Aborted).ConfigureAwait(false);
        }
        catch (ModulusException ex) when (events.Started && !http.Aborted.IsCancellationRequested)
        {
            var error = http.ErrorOf(ex);
            OpenAiLog.StreamFailed(logger, model.Id, endpoint.Name, error.Status, error.Message);
            await events.WriteAsync(error.Write, http.Aborted).ConfigureAwait(false);
        }
    }
}
