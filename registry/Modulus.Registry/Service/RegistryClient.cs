using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Modulus.Protocol.V1;

namespace Modulus.Registry.Service;

/// <summary>
/// A client of the registry service (<c>modulus.v1.RegistryService</c>): search, resolve and the
/// package store. Failures surface as <see cref="RegistryServiceException"/> with a message that
/// names the service and says what to do.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The size of one package chunk on the wire.</summary>
    public const int ChunkSize = 256 * 1024;

    /// <summary>The service's default address.</summary>
    public const string DefaultUrl = "http://127.0.0.1:7060";

    private readonly GrpcChannel _channel;
    private readonly RegistryService.RegistryServiceClient _client;

    public RegistryClient(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "grpc"))
        {
            throw new FormatException($"\"{url}\" is not a registry address; use http://HOST:PORT, e.g. {DefaultUrl}");
        }

        Url = uri.Scheme == "grpc" ? $"http://{uri.Authority}" : url;
        _channel = GrpcChannel.ForAddress(Url, new GrpcChannelOptions { MaxReceiveMessageSize = 8 * ChunkSize });
        _client = new RegistryService.RegistryServiceClient(_channel);
    }

    public string Url { get; }

    public Task<SearchResponse> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) =>
        CallAsync(() => _client.SearchAsync(request, cancellationToken: cancellationToken).ResponseAsync);

    public Task<RegistryModule> GetModuleAsync(string name, CancellationToken cancellationToken = default) =>
        CallAsync(() => _client.GetModuleAsync(new GetModuleRequest { Name = name }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<ResolvedModule> ResolveAsync(string name, string? version, CancellationToken cancellationToken = default) =>
        CallAsync(() => _client.ResolveAsync(new ResolveRequest { Name = name, Version = version ?? string.Empty }, cancellationToken: cancellationToken).ResponseAsync);

    public Task<RegistryStatus> GetStatusAsync(CancellationToken cancellationToken = default) =>
        CallAsync(() => _client.GetStatusAsync(new GetStatusRequest(), cancellationToken: cancellationToken).ResponseAsync);

    /// <summary>Uploads a package in chunks; the service refuses it unless its sha256 is <paramref name="sha256Hex"/>.</summary>
    /// <param name="package">The package's bytes.</param>
    /// <param name="sha256Hex">Its sha256.</param>
    /// <param name="progress">Bytes sent so far.</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <param name="uploader">The key that signs the upload (see <see cref="PackageUploadSignature"/>); the service refuses unsigned uploads.</param>
    public Task<PutPackageResponse> PutPackageAsync(ReadOnlyMemory<byte> package, string sha256Hex, IProgress<long>? progress = null, CancellationToken cancellationToken = default, Nethereum.Signer.EthECKey? uploader = null) =>
        CallAsync(async () =>
        {
            var headers = new Metadata();
            if (uploader is not null)
            {
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                headers.Add(PackageUploadSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                headers.Add(PackageUploadSignature.SignatureHeader, PackageUploadSignature.Sign(uploader, sha256Hex, timestamp));
            }

            using var call = _client.PutPackage(headers, cancellationToken: cancellationToken);
            var sent = 0;
            try
            {
                do
                {
                    var length = Math.Min(ChunkSize, package.Length - sent);
                    var chunk = new PackageChunk { Data = UnsafeByteOperations.UnsafeWrap(package.Slice(sent, length)) };
                    if (sent == 0)
                    {
                        chunk.Sha256 = sha256Hex;
                    }

                    await call.RequestStream.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
                    sent += length;
                    progress?.Report(sent);
                }
                while (sent < package.Length);

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // The service answered before taking the whole package (a refusal ends the call):
                // its answer says why, the failed write does not.
            }

            return await call.ResponseAsync.ConfigureAwait(false);
        });

    /// <summary>Downloads a package by its sha256; the bytes are not verified here (the caller checks them against the chain).</summary>
    public Task<byte[]> GetPackageAsync(string sha256Hex, IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        CallAsync(async () =>
        {
            using var call = _client.GetPackage(new GetPackageRequest { Sha256 = sha256Hex }, cancellationToken: cancellationToken);
            using var buffer = new MemoryStream();
            await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                chunk.Data.WriteTo(buffer);
                progress?.Report(buffer.Length);
            }

            return buffer.ToArray();
        });

    public void Dispose() => _channel.Dispose();

    private async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            throw new RegistryServiceException(ex.StatusCode, $"the registry service at {Url} does not answer ({ex.Status.Detail}); start it with `modulus registry serve`, or pass --registry URL");
        }
        catch (RpcException ex)
        {
            throw new RegistryServiceException(ex.StatusCode, ex.Status.Detail);
        }
    }
}

/// <summary>The registry service refused or failed a request.</summary>
public sealed class RegistryServiceException(StatusCode code, string message) : Exception(message)
{
    public StatusCode Code { get; } = code;
}
