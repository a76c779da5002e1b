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
public sealed record CallRequestRead(CallRequest? Request, ulong Id, ModulusException? Error);
