using Microsoft.Extensions.Configuration;

namespace Modulus.Cli;

/// <summary>
/// The configuration a verb that starts a service binds its options from: <c>appsettings.json</c>
/// in the working folder (optional), then the environment (<c>Modulus__TcpPort</c>, …). The few
/// shorthand variables the README documents (<c>MODULUS_PYTHON</c>, <c>MODULUS_PYTHON_LIBRARY</c>)
/// are read here and nowhere else, and mapped to their settings.
/// </summary>
internal static class CliConfiguration
{
    private static readonly (string Variable, string Key)[] Shorthands =
    [
        ("MODULUS_PYTHON", "Modulus:Runtime:Python:Executable"),
        ("MODULUS_PYTHON_LIBRARY", "Modulus:Runtime:Python:Library"),
    ];

    public static IConfiguration Build()
    {
        var shorthands = Shorthands
            .Select(s => (s.Key, Value: CliEnvironment.Read(s.Variable)))
            .Where(s => !string.IsNullOrWhiteSpace(s.Value))
            .ToDictionary(s => s.Key, s => s.Value);
        return new ConfigurationBuilder()
            .AddInMemoryCollection(shorthands)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();
    }
}
