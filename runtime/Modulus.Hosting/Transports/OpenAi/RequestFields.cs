using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Modulus.Hosting.Transports.OpenAi;

/// <summary>
/// The fields of a request's JSON object, read by name: each read checks the field's type and range
/// and names the field when it is wrong, and <see cref="RefuseUnread"/> refuses whatever no read took,
/// so that a parameter this host does not honour is never silently ignored. A field that is null
/// counts as absent, as OpenAI's API treats it.
/// </summary>
internal sealed class RequestFields
{
    private readonly JsonElement _root;
    private readonly string _prefix;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private RequestFields(JsonElement root, string prefix)
    {
        _root = root;
        _prefix = prefix;
    }

    /// <summary>The fields of an object inside the request, named in messages after <paramref name="prefix"/> (<c>messages[2].</c>).</summary>
    public static RequestFields Of(JsonElement element, string prefix) => new(element, prefix);

    /// <summary>Reads the request body as one JSON object, within <paramref name="maxBytes"/>.</summary>
    /// <exception cref="OpenAiError">400 for a body that is not a JSON object; 413 for one over the limit.</exception>
    public static async Task<(RequestFields Fields, JsonDocument Document)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = maxBytes;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw OpenAiError.InvalidRequest($"We could not parse the JSON body of your request: {ex.Message} The API expects a JSON object (Content-Type: application/json).");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new OpenAiError(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"The request body is over this host's {maxBytes} bytes (Modulus:MaxRequestBytes).");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw OpenAiError.InvalidRequest($"The request body must be a JSON object, not {Kind(document.RootElement)}.");
        }

        return (new RequestFields(document.RootElement, string.Empty), document);
    }

    /// <summary>The field's raw value, or null when it is absent or null.</summary>
    public JsonElement? Element(string name)
    {
        _read.Add(name);
        return _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;
    }

    /// <summary>A string field.</summary>
    public string? String(string name, bool required = false)
    {
        if (Element(name) is not { } value)
        {
            return required ? throw Missing(_prefix + name) : null;
        }

        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw WrongType(_prefix + name, "a string", value);
    }

    /// <summary>An integer field within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long? Integer(string name, long min = long.MinValue, long max = long.MaxValue)
    {
        if (Element(name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw WrongType(_prefix + name, "an integer", value);
        }

        return number < min || number > max ? throw OutOfRange(_prefix + name, number.ToString(System.Globalization.CultureInfo.InvariantCulture), min, max) : number;
    }

    /// <summary>A number field within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double? Number(string name, double min, double max)
    {
        if (Element(name) is not { } value)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(_prefix + name, "a number", value);
        }

        var number = value.GetDouble();
        return number < min || number > max ? throw OutOfRange(_prefix + name, number.ToString(System.Globalization.CultureInfo.InvariantCulture), min, max) : number;
    }

    /// <summary>A boolean field.</summary>
    public bool? Boolean(string name)
    {
        if (Element(name) is not { } value)
        {
            return null;
        }

        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw WrongType(_prefix + name, "a boolean", value);
    }

    /// <summary>An object field, read with a reader of its own.</summary>
    public RequestFields? Object(string name)
    {
        if (Element(name) is not { } value)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Object ? new RequestFields(value, $"{_prefix}{name}.") : throw WrongType(_prefix + name, "an object", value);
    }

    /// <summary>
    /// A parameter of OpenAI's that this host does not honour: accepted at the value that asks for
    /// nothing (a client that always sends <c>frequency_penalty: 0</c> still works), refused otherwise
    /// saying so, rather than as an unknown field.
    /// </summary>
    /// <param name="name">The field.</param>
    /// <param name="harmless">Whether a given value asks for nothing (null or absent always does).</param>
    /// <param name="why">What the host does not do, for the message.</param>
    public void Unsupported(string name, Func<JsonElement, bool> harmless, string why)
    {
        if (Element(name) is { } value && !harmless(value))
        {
            throw OpenAiError.InvalidRequest($"'{_prefix}{name}' is not supported by this host: {why}.", _prefix + name, "unsupported_parameter");
        }
    }

    /// <summary>Takes a field this host accepts and has no use for (<c>user</c>).</summary>
    public void Ignore(string name) => _read.Add(name);

    /// <summary>Refuses the first field no read took.</summary>
    public void RefuseUnread()
    {
        foreach (var property in _root.EnumerateObject())
        {
            if (!_read.Contains(property.Name))
            {
                throw OpenAiError.InvalidRequest($"Unrecognized request argument supplied: {_prefix}{property.Name}", _prefix + property.Name, "unknown_parameter");
            }
        }
    }

    public static OpenAiError Missing(string name) =>
        OpenAiError.InvalidRequest($"Missing required parameter: '{name}'.", name, "missing_required_parameter");

    public static OpenAiError WrongType(string name, string expected, JsonElement value) =>
        OpenAiError.InvalidRequest($"Invalid type for '{name}': expected {expected}, but got {Kind(value)}.", name, "invalid_type");

    private static OpenAiError OutOfRange(string name, string value, double min, double max) =>
        OpenAiError.InvalidRequest($"Invalid value for '{name}': {value} is not within [{Bound(min)}, {Bound(max)}].", name, "invalid_value");

    private static string Bound(double bound) => bound switch
    {
        <= long.MinValue => "-∞",
        >= long.MaxValue => "∞",
        _ => bound.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
