using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Modulus.Protocol;
using Modulus.Protocol.V1;
using Modulus.Testing;
using SdkValue = Modulus.Sdk.Value;

namespace Modulus.Hosting.Tests;

/// <summary>The gRPC surface as any gRPC client sees it: raw generated stubs over a real socket.</summary>
public sealed class GrpcServiceTests : IAsyncLifetime
{
    private readonly TempTree _tree = new();
    private TestHost _host = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _tree.AddCSharp("echo", """
            public sealed class Echo : Module
            {
                public Value Forward(Value v) => v;

                [Endpoint]
                public async Task<long> Delayed(long id, int ms) { await Task.Delay(ms); return id; }
            }
            """);
        _host = await TestHost.StartAsync(_tree, configure: o => o.MaxRequestBytes = 64 * 1024);
        _channel = GrpcChannel.ForAddress(_host.Address.Replace("grpc://", "http://", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _host.DisposeAsync();
        _tree.Dispose();
    }

    [Fact]
    public async Task Health_ReportsServing()
    {
        var response = await new Health.HealthClient(_channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Theory]
    [InlineData("")]
    [InlineData("modulus.v1.ModuleService")]
    public async Task Health_ReportsServing_ForTheServiceName(string service)
    {
        var health = new Health.HealthClient(_channel);
        var response = await health.CheckAsync(new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Reflection_ListsTheModuleAndHealthServices()
    {
        using var call = new ServerReflection.ServerReflectionClient(_channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("modulus.v1.ModuleService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Call_Failure_IsAGrpcStatusWithTheModulusCode()
    {
        var client = new ModuleService.ModuleServiceClient(_channel);
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.CallAsync(new CallRequest { Module = "nope" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
        var invalid = await Assert.ThrowsAsync<RpcException>(async () => await client.CallAsync(new CallRequest { Module = "echo" }));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Contains("missing argument \"v\"", invalid.Status.Detail);
    }

    [Fact]
    public async Task Call_RequestOverTheHostLimit_IsRefused_AndTheHostKeepsServing()
    {
        var client = new ModuleService.ModuleServiceClient(_channel);
        var big = new CallRequest { Module = "echo" };
        big.Args.Add(new Protocol.V1.Value { BytesValue = ByteString.CopyFrom(new byte[128 * 1024]) });
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.CallAsync(big));
        Assert.Equal(Grpc.Core.StatusCode.ResourceExhausted, ex.StatusCode);

        var small = new CallRequest { Module = "echo" };
        small.Args.Add(new Protocol.V1.Value { StringValue = "still here" });
        Assert.Equal("still here", (await client.CallAsync(small)).Result.StringValue);
    }

    [Fact]
    public async Task CallStream_ManyCallsInFlight_AnswerEachByIdAndKeepGoingAfterErrors()
    {
        var client = new ModuleService.ModuleServiceClient(_channel);
        using var stream = client.CallStream();
        const int Calls = 60;
        for (var id = 1; id <= Calls; id++)
        {
            var request = id % 10 == 0
                ? new CallRequest { Id = (ulong)id, Module = "nope" }
                : CallMapper.ToMessage(new ModuleCall("echo", "delayed", [SdkValue.From((long)id), SdkValue.From((Calls - id) % 7)], new Dictionary<string, SdkValue>()) { RequestId = (ulong)id });
            await stream.RequestStream.WriteAsync(request);
        }

        await stream.RequestStream.CompleteAsync();
        var answers = new Dictionary<ulong, CallResponse>();
        await foreach (var response in stream.ResponseStream.ReadAllAsync())
        {
            answers.Add(response.Id, response);
        }

        Assert.Equal(Calls, answers.Count);
        foreach (var (id, response) in answers)
        {
            if (id % 10 == 0)
            {
                Assert.Equal((int)Grpc.Core.StatusCode.NotFound, response.Error.Code);
            }
            else
            {
                Assert.Equal((long)id, response.Result.IntValue);
            }
        }
    }

    [Fact]
    public async Task ListAndInfo_DescribeTheServedModules()
    {
        var client = new ModuleService.ModuleServiceClient(_channel);
        var list = await client.ListModulesAsync(new ListModulesRequest());
        Assert.Equal(["echo"], list.Modules.Select(m => m.Name));
        var info = await client.GetModuleInfoAsync(new GetModuleInfoRequest { Module = "echo" });
        Assert.Equal(["forward", "delayed"], info.Endpoints.Select(e => e.Name));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.GetModuleInfoAsync(new GetModuleInfoRequest { Module = "nope" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, ex.StatusCode);
    }
}
