using System.Buffers;
using System.Text;
using Google.Protobuf;
using Modulus.Protocol.V1;
using Modulus.Sdk;

namespace Modulus.Protocol.Framing;

/// <summary>
/// Reads an envelope from one whole frame or datagram. A request that is an envelope but breaks a
/// value rule (nesting deeper than <see cref="ValueMapper.MaxDepth"/>, a string that is not UTF-8)
/// is refused with INVALID_ARGUMENT and its id, so the transport answers that request alone and
/// the connection carries on; bytes that are not an envelope at all still throw.
/// </summary>
public static class EnvelopeReader
{
    /// <summary>
    /// Protobuf's own limit (100 messages deep) is hit at about 49 levels of values, since each
    /// level is a Value and a ListValue or MapValue; this one lets the 64 levels through, to be
    /// checked (and named) by <see cref="ValueMapper"/>.
    /// </summary>
    private const int RecursionLimit = (2 * ValueMapper.MaxDepth) + 16;

    /// <summary>The refusal of a request nested deeper than the limit, the same on every transport.</summary>
    public static ModulusException TooDeep() => new(StatusCode.InvalidArgument, ValueMapper.TooDeepMessage);

    /// <summary>Reads an envelope, or the refusal of one that breaks a value rule.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an envelope.</exception>
    public static EnvelopeRead Read(ReadOnlySequence<byte> payload)
    {
        var (envelope, id, error) = ReadMessage(payload, Envelope.Parser);
        return new EnvelopeRead(envelope, id, error);
    }

    /// <inheritdoc cref="Read(ReadOnlySequence{byte})"/>
    public static EnvelopeRead Read(ReadOnlySpan<byte> datagram)
    {
        try
        {
            return new EnvelopeRead(Envelope.Parser.ParseFrom(datagram), 0, null);
        }
        catch (InvalidProtocolBufferException ex) when (IsTooDeep(ex))
        {
            var (envelope, id, error) = ReadDeep<Envelope>(datagram.ToArray());
            return new EnvelopeRead(envelope, id, error);
        }
        catch (Exception ex) when (IsNotUtf8(ex))
        {
            return new EnvelopeRead(null, ReadId(new ReadOnlySequence<byte>(datagram.ToArray())), NotUtf8());
        }
    }

    /// <summary>
    /// Reads a call request as gRPC carries it (the message alone, without an envelope) by the same
    /// rules, or the refusal (with its id) of one that breaks a value rule.
    /// </summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a call request.</exception>
    public static CallRequestRead ReadCallRequest(ReadOnlySequence<byte> payload)
    {
        var (request, id, error) = ReadMessage(payload, CallRequest.Parser);
        return new CallRequestRead(request, id, error);
    }

    /// <summary>
    /// The module a call names, read from the first bytes of an envelope (<paramref name="inEnvelope"/>)
    /// or of a bare call request without parsing the rest, so that a request over its module's own
    /// size limit is refused before its values are read. Null when the bytes do not start that way
    /// (every client writes the id and the module first); the limit is then applied after parsing.
    /// </summary>
    public static string? PeekModule(ReadOnlySequence<byte> payload, bool inEnvelope)
    {
        Span<byte> head = stackalloc byte[PeekBytes];
        var length = (int)Math.Min(payload.Length, head.Length);
        payload.Slice(0, length).CopyTo(head);
        ReadOnlySpan<byte> bytes = head[..length];
        if (inEnvelope)
        {
            // Envelope: id = 1 (varint), then call_request = 2 (length-delimited).
            if (!SkipVarintField(ref bytes, 1) || !EnterField(ref bytes, 2))
            {
                return null;
            }
        }

        // CallRequest: id = 1 (varint), then module = 2 (a string).
        if (!SkipVarintField(ref bytes, 1) || !EnterField(ref bytes, 2, out var moduleLength) || moduleLength > bytes.Length)
        {
            return null;
        }

        try
        {
            return Strict.GetString(bytes[..moduleLength]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>How far into a request <see cref="PeekModule"/> looks: a module name is at most 128 bytes.</summary>
    private const int PeekBytes = 192;

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool SkipVarintField(ref ReadOnlySpan<byte> bytes, int field)
    {
        if (bytes.Length == 0 || bytes[0] != (byte)(field << 3))
        {
            // The field is absent (proto3 leaves out an id of 0): nothing to skip.
            return true;
        }

        bytes = bytes[1..];
        return ReadVarint(ref bytes, out _);
    }

    private static bool EnterField(ref ReadOnlySpan<byte> bytes, int field) => EnterField(ref bytes, field, out _);

    private static bool EnterField(ref ReadOnlySpan<byte> bytes, int field, out int length)
    {
        length = 0;
        if (bytes.Length == 0 || bytes[0] != (byte)((field << 3) | 2))
        {
            return false;
        }

        bytes = bytes[1..];
        if (!ReadVarint(ref bytes, out var value) || value > int.MaxValue)
        {
            return false;
        }

        length = (int)value;
        return true;
    }

    private static bool ReadVarint(ref ReadOnlySpan<byte> bytes, out ulong value)
    {
        value = 0;
        for (var i = 0; i < Math.Min(bytes.Length, 10); i++)
        {
            value |= (ulong)(bytes[i] & 0x7F) << (7 * i);
            if ((bytes[i] & 0x80) == 0)
            {
                bytes = bytes[(i + 1)..];
                return true;
            }
        }

        return false;
    }

    /// <summary>The request id at the front of an envelope (where every client writes it), or 0 when it cannot be read.</summary>
    public static ulong ReadId(ReadOnlySequence<byte> payload)
    {
        Span<byte> head = stackalloc byte[11];
        var length = (int)Math.Min(payload.Length, head.Length);
        payload.Slice(0, length).CopyTo(head);
        if (length < 2 || head[0] != 0x08)
        {
            return 0;
        }

        ulong id = 0;
        for (var i = 1; i < length; i++)
        {
            id |= (ulong)(head[i] & 0x7F) << (7 * (i - 1));
            if ((head[i] & 0x80) == 0)
            {
                return id;
            }
        }

        return 0;
    }

    /// <summary>
    /// Parses an envelope whose values nest deeper than protobuf's default limit lets through (a
    /// client reading a host's answer of up to 64 levels).
    /// </summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not an envelope, or nest deeper than 64 levels.</exception>
    public static Envelope ParseDeep(byte[] bytes) => ParseDeep<Envelope>(bytes);

    /// <summary>
    /// Parses a message whose values nest deeper than protobuf's default limit lets through (a gRPC
    /// client reading a host's <see cref="CallResponse"/> of up to 64 levels).
    /// </summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not such a message, or nest deeper than 64 levels.</exception>
    public static T ParseDeep<T>(byte[] bytes)
        where T : IMessage<T>, new()
    {
        var message = new T();
        message.MergeFrom(CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), bytes.Length, RecursionLimit));
        return message;
    }

    internal static bool IsTooDeep(InvalidProtocolBufferException ex) => ex.Message.Contains("levels of nesting", StringComparison.Ordinal);

    private static bool IsNotUtf8(Exception ex) =>
        ex is DecoderFallbackException || ex.InnerException is DecoderFallbackException
        || (ex is InvalidProtocolBufferException && ex.Message.Contains("UTF", StringComparison.OrdinalIgnoreCase));

    /// <summary>The one reading rule, for an envelope (TCP, UDP) or a bare call request (gRPC).</summary>
    private static (T? Message, ulong Id, ModulusException? Error) ReadMessage<T>(ReadOnlySequence<byte> payload, MessageParser<T> parser)
        where T : class, IMessage<T>, new()
    {
        try
        {
            return (parser.ParseFrom(payload), 0, null);
        }
        catch (InvalidProtocolBufferException ex) when (IsTooDeep(ex))
        {
            return ReadDeep<T>(payload.ToArray());
        }
        catch (Exception ex) when (IsNotUtf8(ex))
        {
            return (null, ReadId(payload), NotUtf8());
        }
    }

    private static (T? Message, ulong Id, ModulusException? Error) ReadDeep<T>(byte[] bytes)
        where T : class, IMessage<T>, new()
    {
        var id = ReadId(new ReadOnlySequence<byte>(bytes));
        try
        {
            return (ParseDeep<T>(bytes), 0, null);
        }
        catch (InvalidProtocolBufferException ex) when (IsTooDeep(ex))
        {
            return (null, id, TooDeep());
        }
        catch (Exception ex) when (IsNotUtf8(ex))
        {
            return (null, id, NotUtf8());
        }
    }

    /// <summary>The refusal of a string that is not UTF-8, the same on every transport.</summary>
    public static ModulusException NotUtf8() =>
        new(StatusCode.InvalidArgument, "a string in the request is not valid UTF-8; send text as UTF-8, or binary data as bytes");
}

/// <summary>An envelope read from the wire, or the refusal (with the request's id, 0 when unknown) of one that breaks a value rule.</summary>
public readonly record struct EnvelopeRead(Envelope? Envelope, ulong Id, ModulusException? Error);

/// <summary>
/// A call request read from a gRPC message, or the refusal (with the request's id, 0 when unknown)
/// of one that breaks a value rule. A class, as gRPC's request types must be.
/// </summary>
public sealed record CallRequestRead(CallRequest? Request, ulong Id, ModulusException? Error)
{
    /// <summary>
    /// A large request's bytes, not parsed yet: the reader of the service checks them against their
    /// module's own size limit first (<see cref="EnvelopeReader.PeekModule"/>), then reads them.
    /// </summary>
    public ReadOnlyMemory<byte>? Unread { get; init; }

    /// <summary>Above this size a gRPC call request is kept unread until its module's limit has been checked.</summary>
    public const int ReadLaterAbove = 64 * 1024;

    /// <summary>This read, or, when <see cref="Unread"/>, the read of those bytes.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a call request.</exception>
    public CallRequestRead Complete() => Unread is { } bytes ? EnvelopeReader.ReadCallRequest(new ReadOnlySequence<byte>(bytes)) : this;
}
