namespace Modulus.Registry.Index;

/// <summary>An index file built by following another deployment (another chain or other contracts) than the one it was opened for.</summary>
public sealed class IndexDeploymentMismatchException : InvalidOperationException
{
    public IndexDeploymentMismatchException()
    {
    }

    public IndexDeploymentMismatchException(string message)
        : base(message)
    {
    }

    public IndexDeploymentMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
