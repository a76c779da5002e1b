using System.Runtime.InteropServices;
using Google.Protobuf;
using Modulus.Protocol;
using Modulus.Sdk;
using V1 = Modulus.Protocol.V1;

namespace Modulus.Protocol.Tests;

public class ValueMapperTests
{
    public static TheoryData<string> Values => new()
    {
        "null", "true", "-9223372036854775808", "2.5", "\"héllo\"", "{\"$bytes\":\"AAEC\"}",
        "[1,[2,[3]],{\"k\":null}]", "{\"z\":1,\"a\":[true,false]}",
        """{"$tensor":{"dtype":"INT16","shape":[2,1],"data":[-3,7]}}""",
        """{"$tensor":{"dtype":"FP64","shape":[],"data":[1.5]}}""",
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Value_ThroughTheWireFormat_ComesBackEqual(string json)
    {
        var value = ValueJson.Parse(json);
        var bytes = ValueMapper.ToMessage(value).ToByteArray();
        var back = ValueMapper.FromMessage(V1.Value.Parser.ParseFrom(bytes));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Tensor_ToMessage_WrapsTheDataWithoutCopying()
    {
        var data = new float[] { 1, 2, 3 };
        var message = ValueMapper.ToMessage(Tensor.FromArray(data));
        data[0] = 9;
        Assert.Equal(9f, MemoryMarshal.Cast<byte, float>(message.Data.Span)[0]);
    }

    [Fact]
    public void Tensor_FromMessage_ViewsTheMessageBuffer()
    {
        var message = new V1.Tensor { Dtype = V1.DataType.Uint8, Data = ByteString.CopyFrom(1, 2, 3) };
        message.Shape.Add(3);
        var tensor = ValueMapper.FromMessage(message);
        Assert.True(tensor.Data.Span.Overlaps(message.Data.Span));
    }

    [Fact]
    public void Tensor_DataNotMatchingShape_IsInvalidArgument()
    {
        var message = new V1.Tensor { Dtype = V1.DataType.Fp32, Data = ByteString.CopyFrom(new byte[6]) };
        message.Shape.Add(2);
        var ex = Assert.Throws<ModulusException>(() => ValueMapper.FromMessage(message));
        Assert.Equal(StatusCode.InvalidArgument, ex.Code);
        Assert.Contains("needs 8 bytes", ex.Message);
    }

    [Fact]
    public void Tensor_UnknownDtype_IsInvalidArgument()
    {
        var message = new V1.Tensor { Dtype = (V1.DataType)99 };
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<ModulusException>(() => ValueMapper.FromMessage(message)).Code);
    }

    [Fact]
    public void Value_NestedTooDeep_IsInvalidArgument()
    {
        var value = new V1.Value { IntValue = 1 };
        for (var i = 0; i < ValueMapper.MaxDepth + 2; i++)
        {
            var list = new V1.ListValue();
            list.Items.Add(value);
            value = new V1.Value { ListValue = list };
        }

        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<ModulusException>(() => ValueMapper.FromMessage(value)).Code);
    }

    [Fact]
    public void CallRequest_RoundTrip_KeepsTargetArgumentsAndDeadline()
    {
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        var call = new ModuleCall("text.tokenize", "decode", [Value.List(1, 2)], new Dictionary<string, Value> { ["skip"] = true }) { RequestId = 7, Deadline = deadline };

        var back = CallMapper.FromMessage(V1.CallRequest.Parser.ParseFrom(CallMapper.ToMessage(call).ToByteArray()));

        Assert.Equal(("text.tokenize", "decode", 7UL, deadline), (back.Module, back.Endpoint, back.RequestId, back.Deadline));
        Assert.Equal(call.Args, back.Args);
        Assert.True(back.Kwargs["skip"].AsBool());
        Assert.Equal(CallMapper.ToMessage(call).CalculateSize(), back.RequestBytes);
    }

    [Fact]
    public void CallRequest_WithoutModule_IsInvalidArgument_WithoutEndpoint_IsForward()
    {
        Assert.Equal(StatusCode.InvalidArgument, Assert.Throws<ModulusException>(() => CallMapper.FromMessage(new V1.CallRequest())).Code);
        Assert.Equal("forward", CallMapper.FromMessage(new V1.CallRequest { Module = "m" }).Endpoint);
    }

    [Fact]
    public void Response_Error_BecomesModulusExceptionWithItsCode()
    {
        var ex = Assert.Throws<ModulusException>(() => CallMapper.ResultOf(CallMapper.Failure(3, StatusCode.ResourceExhausted, "busy")));
        Assert.Equal(StatusCode.ResourceExhausted, ex.Code);
        Assert.Equal("busy", ex.Message);
    }

    [Theory]
    [InlineData("text.tokenize", "text.tokenize", "forward")]
    [InlineData("text.tokenize/decode", "text.tokenize", "decode")]
    [InlineData("text.tokenize/", "text.tokenize", "forward")]
    public void ParseTarget_SplitsModuleAndEndpoint(string target, string module, string endpoint)
    {
        Assert.Equal((module, endpoint), ModuleCall.ParseTarget(target));
    }
}
