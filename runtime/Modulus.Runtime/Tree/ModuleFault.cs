namespace Modulus.Runtime.Tree;

/// <summary>A module folder that could not be served, and why.</summary>
/// <param name="Path">The file at fault (a <c>module.json</c>, a source file) or the module folder.</param>
/// <param name="Reason">What was wrong and what to do.</param>
public sealed record ModuleFault(string Path, string Reason)
{
    /// <summary>The name of the module at fault, where it is known (its manifest could be read).</summary>
    public string? Module { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Reason}";
}
