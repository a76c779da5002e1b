using Modulus.Modules;
using Modulus.Runtime;
using Modulus.Sdk;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>What the HTTP API can ask of a model, read from its module's endpoints.</summary>
/// <param name="Info">The module; its name is the model id.</param>
/// <param name="Generate">The streaming <c>generate</c> endpoint that makes it a model.</param>
/// <param name="Chat">Its streaming <c>chat</c> endpoint, when it has one (<c>/v1/chat/completions</c>).</param>
/// <param name="Embed">Its <c>embed</c> endpoint, when it has one (<c>/v1/embeddings</c>).</param>
/// <param name="Tokenize">Its <c>tokenize</c> endpoint, when it has one: usage counts the prompt's tokens with it.</param>
internal sealed record Model(ModuleInfo Info, EndpointSchema Generate, EndpointSchema? Chat, EndpointSchema? Embed, EndpointSchema? Tokenize)
{
    public string Id => Info.Name;

    /// <summary>The model a served module is, or null when it is none (no streaming <c>generate</c>).</summary>
    public static Model? Of(ModuleInfo module)
    {
        EndpointSchema? Endpoint(string name, bool streaming) =>
            module.Endpoints.FirstOrDefault(e => e.Name == name && e.Streaming == streaming);

        return Endpoint("generate", streaming: true) is { } generate
            ? new Model(module, generate, Endpoint("chat", streaming: true), Endpoint("embed", streaming: false), Endpoint("tokenize", streaming: false))
            : null;
    }
}

/// <summary>
/// Which served modules are models, and the one answer for a model id that names none: every served
/// module with a streaming <c>generate</c> endpoint is a model under its module name, except paid
/// ones (their vouchers travel only with gRPC and TCP calls, so the HTTP API cannot pay for them).
/// </summary>
internal sealed class ModelDirectory(IModuleCatalog catalog, Runtime.Catalog.ModuleCatalog modules)
{
    /// <summary>The models served now, by id.</summary>
    public IReadOnlyList<Model> Models =>
        catalog.Modules.Where(m => m.AccessMode != ModuleAccess.Paid).Select(Model.Of).OfType<Model>().OrderBy(m => m.Id, StringComparer.Ordinal).ToArray();

    /// <summary>The model <paramref name="id"/>, which must have the endpoint <paramref name="needs"/> picks.</summary>
    /// <param name="id">The request's <c>model</c>.</param>
    /// <param name="route">The API's route, for the messages (<c>/v1/chat/completions</c>).</param>
    /// <param name="needs">The endpoint the route calls, or null when the model lacks it.</param>
    /// <exception cref="OpenAiError">404 for no such model (listing the ones there are), 403 for a paid one, 503 while it loads.</exception>
    public Model Find(string id, string route, Func<Model, EndpointSchema?> needs)
    {
        if (catalog.Find(id) is not { } module)
        {
            var why = modules.NotServed(id);
            throw why.Code == StatusCode.NotFound ? OpenAiError.ModelNotFound($"The model `{id}` does not exist here ({why.Message}). {Listing(route, needs)}") : OpenAiError.From(why);
        }

        if (module.AccessMode == ModuleAccess.Paid)
        {
            throw OpenAiError.From(new ModulusException(StatusCode.PermissionDenied,
                $"{id} is paid ({module.Price} $GPT per call, access.price), and vouchers travel only with gRPC and TCP calls, so the HTTP API cannot pay for it: call it with `modulus call {id} --pay` or a Modulus client"));
        }

        if (Model.Of(module) is not { } model)
        {
            throw OpenAiError.ModelNotFound($"The module `{id}` is served here but is not a model: it has no streaming generate endpoint. {Listing(route, needs)}");
        }

        if (needs(model) is null)
        {
            throw OpenAiError.ModelNotFound($"The model `{id}` cannot serve {route}: it has no {RouteEndpoint(route)} endpoint. {Listing(route, needs)}");
        }

        return model;
    }

    private string Listing(string route, Func<Model, EndpointSchema?> needs)
    {
        var fit = Models.Where(m => needs(m) is not null).Select(m => m.Id).ToArray();
        return fit.Length == 0
            ? $"This host serves no model for {route} (GET /v1/models lists the models)."
            : $"Models for {route} here: {string.Join(", ", fit)}.";
    }

    private static string RouteEndpoint(string route) => route switch
    {
        Routes.ChatCompletions => "streaming chat",
        Routes.Embeddings => "embed",
        _ => "streaming generate",
    };
}
