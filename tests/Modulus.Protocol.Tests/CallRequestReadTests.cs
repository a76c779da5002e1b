using System.Buffers;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;
using V1 = Modulus.Protocol.V1;
using StatusCode = Modulus.Sdk.StatusCode;

namespace Modulus.Protocol.Tests;

/// <summary>The reading rule gRPC's call requests share with TCP's and UDP's envelopes, and the endpoint schema on the wire.</summary>
public class CallRequestReadTests
{
    [Fact]
    public void ReadCallRequest_WithinTheLimit_IsTheRequest()
    {
        var request = Request(7, Nested(64));
        var read = EnvelopeReader.ReadCallRequest(new ReadOnlySequence<byte>(request.ToByteArray()));
        Assert.Null(read.Error);
        Assert.Equal(request, read.Request);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(3000)]
    public void ReadCallRequest_TooDeep_IsTheRefusalWithItsId_TheSameAsAnEnvelopes(int depth)
    {
        var request = Request(1234567, Nested(depth));
        var read = EnvelopeReader.ReadCallRequest(new ReadOnlySequence<byte>(request.ToByteArray()));
        var envelope = EnvelopeReader.Read(new ReadOnlySequence<byte>(new Envelope { Id = 1234567, CallRequest = request }.ToByteArray()));

        Assert.Null(read.Request);
        Assert.Equal(1234567UL, read.Id);
        Assert.Equal(StatusCode.InvalidArgument, read.Error!.Code);
        Assert.Equal(envelope.Error!.Message, read.Error.Message);
        Assert.Equal(EnvelopeReader.TooDeep().Message, read.Error.Message);
    }

    [Fact]
    public void ReadCallRequest_NotUtf8_IsTheRefusalWithItsId()
    {
        var bytes = Request(99, new Value { StringValue = "\u00e9" }).ToByteArray();
        var at = bytes.AsSpan().IndexOf(new byte[] { 0xC3, 0xA9 });
        bytes[at] = 0xFF;
        var read = EnvelopeReader.ReadCallRequest(new ReadOnlySequence<byte>(bytes));
        Assert.Equal(99UL, read.Id);
        Assert.Equal(EnvelopeReader.NotUtf8().Message, read.Error!.Message);
    }

    [Fact]
    public void ReadCallRequest_BytesThatAreNoCallRequest_Throw() =>
        Assert.Throws<InvalidProtocolBufferException>(() => EnvelopeReader.ReadCallRequest(new ReadOnlySequence<byte>([0xFF, 0xFF, 0xFF])));

    [Fact]
    public void ModuleInfo_CarriesTheIdempotentMark_BothWays()
    {
        var info = new Sdk.ModuleInfo("m", "1.0.0", "csharp", "", [], [
            new Sdk.EndpointSchema("forward", [], Sdk.TypeSpec.String) { Idempotent = true },
            new Sdk.EndpointSchema("write", [], Sdk.TypeSpec.NullType),
        ], "00");
        var message = CallMapper.ToMessage(info);
        Assert.True(message.Endpoints[0].Idempotent);
        Assert.False(message.Endpoints[1].Idempotent);

        var back = CallMapper.FromMessage(V1.ModuleInfo.Parser.ParseFrom(message.ToByteArray()));
        Assert.Equal([true, false], back.Endpoints.Select(e => e.Idempotent));
    }

    private static CallRequest Request(ulong id, Value arg) => new() { Id = id, Module = "util.echo", Args = { arg } };

    private static Value Nested(int depth)
    {
        var value = new Value { IntValue = 1 };
        for (var i = 0; i < depth; i++)
        {
            value = new Value { ListValue = new ListValue { Items = { value } } };
        }

        return value;
    }
}
