using Modulus.Modules;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Modulus.Protocol.V1;
using Modulus.Registry.Index;
using Modulus.Registry.Packaging;
using Nethereum.Web3;
using IndexRank = Modulus.Registry.Index.RankBy;
using RankBy = Modulus.Protocol.V1.RankBy;
using SummaryMessage = Modulus.Protocol.V1.ModuleSummary;

namespace Modulus.Registry.Service;

/// <summary>
/// <c>modulus.v1.RegistryService</c> over the index and the package store. Bad input is answered
/// with INVALID_ARGUMENT or NOT_FOUND and a message that says what to send instead.
/// </summary>
internal sealed class RegistryGrpcService(RegistryIndex index, PackageStore store, RegistryServiceOptions options, IWeb3 web3, UploadQuota quota)
    : Protocol.V1.RegistryService.RegistryServiceBase
{
    public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
    {
        if (request.Limit < 0 || request.Limit > 1000 || request.Offset < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"limit {request.Limit} and offset {request.Offset} must be 0-1000 and 0 or more (0 means the default limit, 20)"));
        }

        var rank = request.Rank switch
        {
            RankBy.Votes => IndexRank.Votes,
            RankBy.Hosts => IndexRank.Hosts,
            RankBy.Name => IndexRank.Name,
            _ => IndexRank.Stake,
        };
        var query = new SearchQuery(
            request.Text.Length == 0 ? null : request.Text,
            request.Tag.Length == 0 ? null : request.Tag,
            rank,
            request.Limit == 0 ? 20 : request.Limit,
            request.Offset);
        var response = new SearchResponse { IndexedBlock = index.LastBlock ?? 0 };
        response.Modules.AddRange(index.Search(query).Select(ToMessage));
        return Task.FromResult(response);
    }

    public override Task<RegistryModule> GetModule(GetModuleRequest request, ServerCallContext context)
    {
        var detail = index.Get(request.Name)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no module named \"{request.Name}\" is indexed; `modulus search` lists them"));
        var module = new RegistryModule { Summary = ToMessage(detail.Summary) };
        module.Versions.AddRange(detail.Versions.Select(v => new PublishedVersion
        {
            Version = v.Version,
            ContentHash = v.ContentHash,
            PackageUri = v.PackageUri,
            PublishedBlock = v.PublishedBlock,
            Deprecated = v.Deprecated,
            DeprecationReason = v.DeprecationReason ?? string.Empty,
        }));
        module.Hosts.AddRange(detail.Hosts.Select(h => new ModuleHost { Version = h.Version, Address = h.Host, Endpoint = h.Endpoint }));
        return Task.FromResult(module);
    }

    public override Task<Protocol.V1.ResolvedModule> Resolve(ResolveRequest request, ServerCallContext context)
    {
        if (request.Name.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name is empty; resolve NAME or NAME@VERSION"));
        }

        var resolved = index.Resolve(request.Name, request.Version.Length == 0 ? null : request.Version)
            ?? throw new RpcException(new Status(StatusCode.NotFound, request.Version.Length == 0
                ? $"no published, non-deprecated version of \"{request.Name}\" is indexed; `modulus search {request.Name}` shows what there is"
                : $"{request.Name}@{request.Version} is not published; `modulus info {request.Name} --registry` lists its versions"));
        var message = new Protocol.V1.ResolvedModule
        {
            Name = resolved.Name,
            Version = resolved.Version,
            ContentHash = resolved.ContentHash,
            PackageUri = resolved.PackageUri,
            Deprecated = resolved.Deprecated,
        };
        message.Hosts.AddRange(resolved.Hosts.Select(h => new ModuleHost { Version = resolved.Version, Address = h.Host, Endpoint = h.Endpoint }));
        return Task.FromResult(message);
    }

    public override async Task<PutPackageResponse> PutPackage(IAsyncStreamReader<PackageChunk> requestStream, ServerCallContext context)
    {
        // Who is uploading is settled from the metadata alone, before a byte of the body is read:
        // an anonymous caller cannot make the service buffer anything.
        var timestampText = context.RequestHeaders.GetValue(PackageUploadSignature.TimestampHeader);
        var signature = context.RequestHeaders.GetValue(PackageUploadSignature.SignatureHeader);
        if (timestampText is null || signature is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "uploads must be signed by the account that publishes; use `modulus publish` (it signs with --key), or send the modulus-upload-timestamp and modulus-upload-signature metadata"));
        }

        if (!long.TryParse(timestampText, NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp)
            || Math.Abs((DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timestamp, 0, 253402300799999))).TotalMilliseconds) > PackageUploadSignature.MaxSkew.TotalMilliseconds)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, $"the upload's timestamp is not within {PackageUploadSignature.MaxSkew.TotalMinutes:0} minutes of the service's clock; check this machine's clock and send it again"));
        }

        if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the upload has no data; send the package's bytes"));
        }

        var expected = requestStream.Current.Sha256;
        if (!ContentHash.IsValid(expected))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first chunk must announce the package's sha256 (64 hex digits): the signature covers it"));
        }

        var uploader = PackageUploadSignature.Recover(expected, timestamp, signature)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "the upload's signature is not a secp256k1 signature of the announced sha256 and timestamp"));

        using var buffer = new MemoryStream();
        var chunk = requestStream.Current;
        while (true)
        {
            if (buffer.Length + chunk.Data.Length > options.MaxPackageBytes)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"the package exceeds the store's limit of {options.MaxPackageBytes:N0} bytes"));
            }

            chunk.Data.WriteTo(buffer);
            if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                break;
            }

            chunk = requestStream.Current;
        }

        var bytes = buffer.ToArray();
        var actual = ContentHash.Of(bytes);
        if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.DataLoss, $"the package arrived with sha256 {actual}, not the {expected} announced; nothing was stored, send it again"));
        }

        string? name;
        try
        {
            name = ModulePackage.ReadManifest(bytes).Name?.Value;
        }
        catch (Exception ex) when (ex is ModulePackageException or ModuleManifestException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the upload is not a module package with a readable module.json; the store keeps module packages only (`modulus pack` makes one)"));
        }

        await AuthorizeAsync(uploader, name, actual, bytes.Length).ConfigureAwait(false);
        await store.PutAsync(bytes, context.CancellationToken).ConfigureAwait(false);
        return new PutPackageResponse { Sha256 = actual, Size = bytes.Length };
    }

    /// <summary>
    /// The owner of the package's name may store it; for a name nobody owns yet (publish uploads
    /// before it claims) the uploader's quota is charged; a name another account owns is refused.
    /// </summary>
    private async Task AuthorizeAsync(string uploader, string? name, string sha256, long size)
    {
        if (name is not null)
        {
            string owner;
            try
            {
                owner = await new Chain.RegistryContracts(web3, options.Deployment).OwnerOfAsync(name).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or Nethereum.JsonRpc.Client.RpcClientUnknownException or Nethereum.JsonRpc.Client.RpcClientTimeoutException)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "the registry cannot read the chain to see who owns the name; try again when its chain answers"));
            }

            if (string.Equals(owner, uploader, StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            if (owner.TrimStart('0', 'x').Length > 0)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"the name {name} belongs to {owner}, not to {uploader} who signed the upload; publish with that key, or under another name"));
            }
        }

        if (store.Contains(sha256))
        {
            return;
        }

        if (!quota.TryCharge(uploader, sha256, size, options.UnclaimedUploadBytes, options.UnclaimedUploadPackages))
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"{uploader} has used its quota for names nobody owns yet ({options.UnclaimedUploadPackages} packages, {options.UnclaimedUploadBytes:N0} bytes stored and not yet published); claim the name first (`modulus claim`), then upload"));
        }
    }

    public override async Task GetPackage(GetPackageRequest request, IServerStreamWriter<PackageChunk> responseStream, ServerCallContext context)
    {
        if (request.Sha256.Length != 64 || !request.Sha256.All(Uri.IsHexDigit))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"\"{request.Sha256}\" is not a sha256; send 64 hex digits"));
        }

        var stream = store.OpenRead(request.Sha256.ToLowerInvariant())
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"no package with sha256 {request.Sha256} in this store; publish it (`modulus publish`) or ask the registry that holds it"));
        await using (stream.ConfigureAwait(false))
        {
            var chunk = new byte[RegistryClient.ChunkSize];
            int read;
            while ((read = await stream.ReadAsync(chunk, context.CancellationToken).ConfigureAwait(false)) > 0)
            {
                await responseStream.WriteAsync(new PackageChunk { Data = ByteString.CopyFrom(chunk, 0, read) }, context.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override async Task<RegistryStatus> GetStatus(GetStatusRequest request, ServerCallContext context)
    {
        long head;
        try
        {
            head = (long)(await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync().ConfigureAwait(false)).Value;
        }
        catch (Exception ex) when (ex is HttpRequestException or Nethereum.JsonRpc.Client.RpcClientUnknownException)
        {
            head = -1;
        }

        var deployment = options.Deployment;
        return new RegistryStatus
        {
            ChainId = deployment.ChainId.ToString(CultureInfo.InvariantCulture),
            Token = deployment.Token,
            Registry = deployment.Registry,
            Staking = deployment.Staking,
            DeploymentBlock = (long)deployment.Block,
            IndexedBlock = index.LastBlock ?? 0,
            HeadBlock = head,
            ModuleCount = index.ModuleCount,
        };
    }

    private static SummaryMessage ToMessage(Index.ModuleSummary summary)
    {
        var message = new SummaryMessage
        {
            Name = summary.Name,
            Owner = summary.Owner,
            LatestVersion = summary.LatestVersion ?? string.Empty,
            Description = summary.Description ?? string.Empty,
            TotalStake = summary.TotalStake.ToString(CultureInfo.InvariantCulture),
            UpWeight = summary.UpWeight.ToString(CultureInfo.InvariantCulture),
            DownWeight = summary.DownWeight.ToString(CultureInfo.InvariantCulture),
            HostCount = summary.HostCount,
            Price = summary.Price ?? string.Empty,
        };
        message.Tags.AddRange(summary.Tags);
        return message;
    }
}
