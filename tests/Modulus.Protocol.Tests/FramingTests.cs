using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using Modulus.Protocol.Framing;
using Modulus.Protocol.V1;

namespace Modulus.Protocol.Tests;

public class FramingTests
{
    private static Envelope Sample(ulong id) => new() { Id = id, CallRequest = new CallRequest { Module = "util.echo", Args = { new Value { StringValue = new string('x', 100) } } } };

    [Fact]
    public void WriteThenRead_GivesBackEachFrame()
    {
        var writer = new ArrayBufferWriter<byte>();
        TcpFraming.WriteFrame(writer, Sample(1));
        TcpFraming.WriteFrame(writer, Sample(2));
        var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory);

        Assert.True(TcpFraming.TryReadFrame(ref buffer, 1024, out var first));
        Assert.Equal(1UL, TcpFraming.ParseEnvelope(first).Id);
        Assert.True(TcpFraming.TryReadFrame(ref buffer, 1024, out var second));
        Assert.Equal(Sample(2), TcpFraming.ParseEnvelope(second));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Read_PartialFrame_AsksForMoreAndConsumesNothing()
    {
        var writer = new ArrayBufferWriter<byte>();
        TcpFraming.WriteFrame(writer, Sample(1));
        for (var cut = 0; cut < writer.WrittenCount; cut += 7)
        {
            var buffer = new ReadOnlySequence<byte>(writer.WrittenMemory[..cut]);
            Assert.False(TcpFraming.TryReadFrame(ref buffer, 1024, out _));
            Assert.Equal(cut, buffer.Length);
        }
    }

    [Fact]
    public void Read_LengthOverTheLimit_ThrowsBeforeTheBodyArrives()
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, uint.MaxValue);
        var buffer = new ReadOnlySequence<byte>(header);
        var ex = Assert.Throws<FrameTooLargeException>(() => TcpFraming.TryReadFrame(ref buffer, 1024, out _));
        Assert.Equal(uint.MaxValue, ex.Length);
        Assert.Contains("over the 1024-byte limit", ex.Message);
    }

    [Fact]
    public void Parse_Garbage_Throws()
    {
        var garbage = new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        Assert.Throws<InvalidProtocolBufferException>(() => UdpFraming.Parse(garbage));
    }

    [Fact]
    public void UdpTooLarge_NamesTheOtherTransports()
    {
        var ex = UdpFraming.TooLarge("result", 100_000);
        Assert.Equal(Sdk.StatusCode.ResourceExhausted, ex.Code);
        Assert.Contains("tcp://", ex.Message);
        Assert.Contains("grpc://", ex.Message);
    }
}
