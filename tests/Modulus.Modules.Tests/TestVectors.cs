using System.Text.Json;
using Modulus.Testing;

namespace Modulus.Modules.Tests;

/// <summary>
/// The name and version vectors in tests/vectors, the ones the contract tests run against the
/// registry contract on a real chain: one set of cases for every implementation of the rules.
/// </summary>
internal static class TestVectors
{
    public static TheoryData<string> Valid(string file) => new(Load(file).GetProperty("valid").EnumerateArray().Select(e => e.GetString()!));

    public static TheoryData<string, string> Invalid(string file)
    {
        var data = new TheoryData<string, string>();
        foreach (var item in Load(file).GetProperty("invalid").EnumerateArray())
        {
            data.Add(item.GetProperty("value").GetString()!, item.GetProperty("why").GetString()!);
        }

        return data;
    }

    public static IReadOnlyList<string> Precedence() =>
        Load("module-versions.json").GetProperty("precedence").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static JsonElement Load(string file) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "vectors", file))).RootElement.Clone();
}
