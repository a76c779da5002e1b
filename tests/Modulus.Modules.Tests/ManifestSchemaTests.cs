using System.Text;
using System.Text.Json.Nodes;
using Json.Schema;
using Modulus.Testing;

namespace Modulus.Modules.Tests;

/// <summary>The published JSON Schema and the reader agree: what one accepts the other accepts.</summary>
public class ManifestSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(RepositoryPaths.Root, "module-sdk", "Modulus.Modules", "module.schema.json"));

    public static TheoryData<string, string> BadManifests => ModuleManifestReaderTests.BadManifests;

    [Fact]
    public void EveryShippedManifest_IsValidForTheSchemaAndTheReader()
    {
        var manifests = Directory.EnumerateFiles(RepositoryPaths.Modules, ModuleManifest.FileName, SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(manifests);
        foreach (var path in manifests)
        {
            var results = Schema.Evaluate(JsonNode.Parse(File.ReadAllText(path)), new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.True(results.IsValid, $"{path}: {string.Join("; ", results.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}");
            ModuleManifestReader.Read(Path.GetDirectoryName(path)!);
        }
    }

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void BadManifest_TheReaderRefuses_TheSchemaRefusesToo(string json, string reason)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return; // not JSON at all: no schema applies
        }

        Assert.False(Schema.Evaluate(node).IsValid, $"the schema accepts a manifest the reader refuses ({reason}): {json}");
    }

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void ValidNameVector_PassesTheSchema(string name) => Assert.True(Evaluate(name, "1.0.0"));

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void InvalidNameVector_FailsTheSchema(string name, string why) => Assert.False(Evaluate(name, "1.0.0"), why);

    [Theory]
    [MemberData(nameof(ValidVersions))]
    public void ValidVersionVector_PassesTheSchema(string version) => Assert.True(Evaluate("a", version));

    [Theory]
    [MemberData(nameof(InvalidVersions))]
    public void InvalidVersionVector_FailsTheSchema(string version, string why) => Assert.False(Evaluate("a", version), why);

    [Theory]
    [InlineData("0.001", true)]
    [InlineData("1", true)]
    [InlineData(".5", true)]
    [InlineData("2.", true)]
    [InlineData("0.000000000000000001", true)]
    [InlineData("0", false)]
    [InlineData("0.0", false)]
    [InlineData("", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1e3", false)]
    [InlineData("0.0000000000000000001", false)]
    public void PaidPrice_TheReaderAndTheSchemaAgree(string price, bool valid)
    {
        var manifest = new JsonObject
        {
            ["version"] = "1.0.0", ["language"] = "python", ["entry"] = "module.py",
            ["access"] = new JsonObject { ["mode"] = "paid", ["price"] = price },
        };
        var readerAccepts = true;
        try
        {
            ModuleManifestReader.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "module.json");
        }
        catch (ModuleManifestException)
        {
            readerAccepts = false;
        }

        Assert.Equal(valid, readerAccepts);
        Assert.Equal(valid, Schema.Evaluate(manifest).IsValid);
    }

    public static TheoryData<string> ValidNames => TestVectors.Valid("module-names.json");

    public static TheoryData<string, string> InvalidNames => TestVectors.Invalid("module-names.json");

    public static TheoryData<string> ValidVersions => TestVectors.Valid("module-versions.json");

    public static TheoryData<string, string> InvalidVersions => TestVectors.Invalid("module-versions.json");

    private static bool Evaluate(string name, string version)
    {
        var manifest = new JsonObject { ["name"] = name, ["version"] = version, ["language"] = "python", ["entry"] = "module.py" };
        var readerAccepts = true;
        try
        {
            ModuleManifestReader.Parse(Encoding.UTF8.GetBytes(manifest.ToJsonString()), "module.json");
        }
        catch (ModuleManifestException)
        {
            readerAccepts = false;
        }

        var schemaAccepts = Schema.Evaluate(manifest).IsValid;
        Assert.Equal(readerAccepts, schemaAccepts);
        return schemaAccepts;
    }
}
