namespace Modulus.Testing;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class PackagingTempDirectory : IDisposable
{
    public PackagingTempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "modulus-packaging-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
