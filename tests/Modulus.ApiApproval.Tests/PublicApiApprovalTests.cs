using System.Reflection;
using Modulus.Testing;
using PublicApiGenerator;

namespace Modulus.ApiApproval.Tests;

/// <summary>
/// The public surface of the libraries applications and module authors code against, frozen in
/// files under version control (tests/Modulus.ApiApproval.Tests/api/): a change to it fails here
/// until the file is updated on purpose, so it shows in review as a decision.
/// </summary>
public class PublicApiApprovalTests
{
    public static TheoryData<string> Assemblies => new() { "Modulus.Sdk", "Modulus.Modules", "Modulus.Client", "Modulus.Hosting" };

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void PublicApi_IsTheApprovedOne(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }).ReplaceLineEndings("\n");
        var approvedPath = Path.Combine(RepositoryPaths.Root, "tests", "Modulus.ApiApproval.Tests", "api", assemblyName + ".txt");
        var receivedPath = Path.ChangeExtension(approvedPath, ".received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : string.Empty;
        if (approved == api)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable("MODULUS_APPROVE") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(approvedPath)!);
            File.WriteAllText(approvedPath, api);
            return;
        }

        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of {assemblyName} changed. If that is meant, review {receivedPath} and move it over {approvedPath} (MODULUS_APPROVE=1 dotnet test writes it).");
    }
}
