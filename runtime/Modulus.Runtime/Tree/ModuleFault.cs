namespace Modulus.Runtime.Tree;

/// <summary>A module folder that could not be served, and why.</summary>
/// <param name="Path">The file at fault (a <c>module.json</c>, a source file) or the module folder.</param>
/// <param name="Reason">What was wrong and what to do.</param>
public sealed record ModuleFault(string Path, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
