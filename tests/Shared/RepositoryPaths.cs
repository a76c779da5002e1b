namespace Modulus.Testing;

/// <summary>Finds folders of the repository from a test's output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The module tree that ships with Modulus.</summary>
    public static string Modules => Path.Combine(Root, "modules");

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Modulus.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The tests must run inside the Modulus repository.");
    }
}
