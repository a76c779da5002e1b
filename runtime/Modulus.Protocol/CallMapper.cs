using Modulus.Sdk;
using V1 = Modulus.Protocol.V1;

namespace Modulus.Protocol;

/// <summary>Converts calls, responses and module descriptions to and from <c>modulus.v1</c> messages.</summary>
public static class CallMapper
{
    /// <summary>Reads a request into a call.</summary>
    /// <exception cref="ModulusException">INVALID_ARGUMENT: no module named, or a malformed value.</exception>
    public static ModuleCall FromMessage(V1.CallRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Module))
        {
            throw new ModulusException(StatusCode.InvalidArgument, "The request names no module; set CallRequest.module, e.g. \"text.tokenize\".");
        }

        var args = new Value[request.Args.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = ValueMapper.FromMessage(request.Args[i]);
        }

        return new ModuleCall(
            request.Module,
            string.IsNullOrEmpty(request.Endpoint) ? ModuleCall.DefaultEndpoint : request.Endpoint,
            args,
            request.Kwargs.Count == 0 ? EmptyKwargs : ValueMapper.FromEntries(request.Kwargs))
        {
            RequestId = request.Id,
            RequestBytes = request.CalculateSize(),
            Deadline = request.DeadlineUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(request.DeadlineUnixMs) : null,
            Voucher = request.Voucher,
        };
    }

    /// <summary>An item of a streamed answer.</summary>
    public static V1.CallResponse Item(ulong id, Value item) => new() { Id = id, Item = ValueMapper.ToMessage(item) };

    /// <summary>The end of a streamed answer that sent <paramref name="items"/> items.</summary>
    public static V1.CallResponse End(ulong id, ulong items) => new() { Id = id, End = new V1.StreamEnd { Items = items } };

    /// <summary>Writes a call as a request.</summary>
    public static V1.CallRequest ToMessage(ModuleCall call)
    {
        var request = new V1.CallRequest
        {
            Id = call.RequestId,
            Module = call.Module,
            Endpoint = call.Endpoint == ModuleCall.DefaultEndpoint ? string.Empty : call.Endpoint,
            DeadlineUnixMs = call.Deadline?.ToUnixTimeMilliseconds() ?? 0,
        };
        foreach (var arg in call.Args)
        {
            request.Args.Add(ValueMapper.ToMessage(arg));
        }

        foreach (var (key, value) in call.Kwargs)
        {
            request.Kwargs.Add(new V1.MapEntry { Key = key, Value = ValueMapper.ToMessage(value) });
        }

        return request;
    }

    public static V1.CallResponse Success(ulong id, Value result) => new() { Id = id, Result = ValueMapper.ToMessage(result) };

    /// <summary>The longest error message sent back, in characters; the rest is cut.</summary>
    public const int MaxErrorMessageChars = 1024;

    public static V1.CallResponse Failure(ulong id, StatusCode code, string message) =>
        new() { Id = id, Error = new V1.Error { Code = (int)code, Message = BoundMessage(message) } };

    /// <summary>
    /// Cuts an error message to <see cref="MaxErrorMessageChars"/>: messages quote what the caller
    /// sent (a keyword's name, a module's), and an 8 MB name must not come back whole.
    /// </summary>
    public static string BoundMessage(string message) => message.Length <= MaxErrorMessageChars
        ? message
        : string.Concat(message.AsSpan(0, MaxErrorMessageChars), $"… ({message.Length - MaxErrorMessageChars} more characters cut)");

    /// <summary>The result of a response, or the <see cref="ModulusException"/> it carries.</summary>
    public static Value ResultOf(V1.CallResponse response) => response.OutcomeCase switch
    {
        V1.CallResponse.OutcomeOneofCase.Result => ValueMapper.FromMessage(response.Result),
        V1.CallResponse.OutcomeOneofCase.Error => throw new ModulusException((StatusCode)response.Error.Code, response.Error.Message),
        _ => throw new ModulusException(StatusCode.Internal, $"Response {response.Id} carries neither a result nor an error."),
    };

    public static V1.ModuleInfo ToMessage(ModuleInfo info)
    {
        var message = new V1.ModuleInfo
        {
            Name = info.Name,
            Version = info.Version,
            Language = info.Language,
            Description = info.Description,
            ContentHash = info.ContentHash,
            AccessMode = info.AccessMode,
            Price = info.Price ?? string.Empty,
            PricePer1KTokens = info.PricePer1kTokens ?? string.Empty,
        };
        message.Tags.AddRange(info.Tags);
        foreach (var endpoint in info.Endpoints)
        {
            var e = new V1.EndpointInfo { Name = endpoint.Name, Returns = endpoint.Returns.ToString(), Description = endpoint.Description ?? string.Empty, Idempotent = endpoint.Idempotent, Streaming = endpoint.Streaming };
            foreach (var p in endpoint.Parameters)
            {
                e.Parameters.Add(new V1.ParameterInfo { Name = p.Name, Type = p.Type.ToString(), Required = p.Required, DefaultJson = p.Default ?? string.Empty });
            }

            message.Endpoints.Add(e);
        }

        return message;
    }

    public static ModuleInfo FromMessage(V1.ModuleInfo message) => new(
        message.Name,
        message.Version,
        message.Language,
        message.Description,
        message.Tags.ToArray(),
        message.Endpoints.Select(e => new EndpointSchema(
            e.Name,
            e.Parameters.Select(p => new ParameterSchema(p.Name, TypeSpec.Parse(p.Type), p.Required, string.IsNullOrEmpty(p.DefaultJson) ? null : p.DefaultJson)).ToArray(),
            TypeSpec.Parse(e.Returns),
            string.IsNullOrEmpty(e.Description) ? null : e.Description)
        {
            Idempotent = e.Idempotent,
            Streaming = e.Streaming,
        }).ToArray(),
        message.ContentHash)
    {
        AccessMode = string.IsNullOrEmpty(message.AccessMode) ? "open" : message.AccessMode,
        Price = string.IsNullOrEmpty(message.Price) ? null : message.Price,
        PricePer1kTokens = string.IsNullOrEmpty(message.PricePer1KTokens) ? null : message.PricePer1KTokens,
    };

    private static readonly IReadOnlyDictionary<string, Value> EmptyKwargs = new Dictionary<string, Value>();
}
