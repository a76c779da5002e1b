using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Modulus.Runtime;

/// <summary>
/// Binds options from a section of the application's configuration when it has one. Unlike
/// <c>BindConfiguration</c> it asks nothing of a service collection without configuration (a unit
/// test's, a console tool's), and it runs before any <c>Configure</c> delegate registered after it,
/// so code wins over configuration.
/// </summary>
/// <typeparam name="TOptions">The options type.</typeparam>
internal sealed class ConfigurationBinding<TOptions>(IServiceProvider services, string section) : IConfigureOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc />
    public void Configure(TOptions options) => services.GetService<IConfiguration>()?.GetSection(section).Bind(options);
}
