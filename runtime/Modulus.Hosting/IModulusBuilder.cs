using Microsoft.Extensions.DependencyInjection;

namespace Modulus.Hosting;

/// <summary>
/// What <see cref="ModulusServiceCollectionExtensions.AddModulus"/> returns: add transports to it
/// (<c>.AddGrpcTransport()</c>, <c>.AddTcpTransport()</c>, <c>.AddUdpTransport()</c>).
/// </summary>
public interface IModulusBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }
}

internal sealed class ModulusBuilder(IServiceCollection services) : IModulusBuilder
{
    public IServiceCollection Services { get; } = services;
}
