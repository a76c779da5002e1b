using System.Diagnostics;

namespace Modulus.Registry.Tests;

public class ArtifactTests
{
    [Fact]
    public async Task CommittedArtifacts_MatchAFreshCompileWithThePinnedSolc()
    {
        var contracts = Path.Combine(RepositoryRoot(), "registry", "contracts");
        using var process = Process.Start(new ProcessStartInfo("node", ["build.js", "--check"])
        {
            WorkingDirectory = contracts,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output);
        Assert.Contains("artifacts match a fresh compile (solc 0.8.37", output);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "Modulus.sln")))
        {
            directory = directory.Parent;
        }

        return directory.FullName;
    }
}
