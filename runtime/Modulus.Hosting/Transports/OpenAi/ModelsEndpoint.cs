using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models served, in OpenAI's list shape.</summary>
internal sealed class ModelsEndpoint(ModelDirectory directory, TimeProvider time)
{
    // OpenAI's "created" is when a model was made; a module has no such date, so the models are as
    // old as the host that serves them.
    private readonly long _created = time.GetUtcNow().ToUnixTimeSeconds();

    public Task ListAsync(HttpContext context) =>
        JsonAnswer.WriteAsync(context.Response, StatusCodes.Status200OK, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var model in directory.Models)
            {
                Write(json, model);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }, context.RequestAborted);

    public Task RetrieveAsync(HttpContext context, string id)
    {
        var model = directory.Find(id, Routes.Models, m => m.Generate);
        return JsonAnswer.WriteAsync(context.Response, StatusCodes.Status200OK, json => Write(json, model), context.RequestAborted);
    }

    private void Write(Utf8JsonWriter json, Model model)
    {
        json.WriteStartObject();
        json.WriteString("id", model.Id);
        json.WriteString("object", "model");
        json.WriteNumber("created", _created);
        json.WriteString("owned_by", "modulus");
        // Beyond OpenAI's fields (clients ignore them): what the model can do here, and who may call it.
        json.WriteStartObject("modulus");
        json.WriteString("version", model.Info.Version);
        json.WriteString("access", model.Info.AccessMode);
        json.WriteStartArray("routes");
        json.WriteStringValue(Routes.Completions);
        if (model.Chat is not null)
        {
            json.WriteStringValue(Routes.ChatCompletions);
        }

        if (model.Embed is not null)
        {
            json.WriteStringValue(Routes.Embeddings);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
