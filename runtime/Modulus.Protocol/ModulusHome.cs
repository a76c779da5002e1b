namespace Modulus.Protocol;

/// <summary>The user's Modulus folder: <c>$MODULUS_HOME</c>, or <c>~/.modulus</c>.</summary>
public static class ModulusHome
{
    /// <summary>The folder's path (not created).</summary>
    public static string Path =>
        Environment.GetEnvironmentVariable("MODULUS_HOME") is { Length: > 0 } home
            ? System.IO.Path.GetFullPath(home)
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".modulus");
}
