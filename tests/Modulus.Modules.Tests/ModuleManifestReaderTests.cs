using System.Text;

namespace Modulus.Modules.Tests;

public class ModuleManifestReaderTests
{
    private const string Minimal = """{ "version": "1.0.0", "language": "python", "entry": "module.py" }""";

    public static TheoryData<string, string> BadManifests => new()
    {
        { """{ "version": "1.0.0", "language": "csharp", "entry": "Module.cs" """, "not valid JSON" },
        { """[1, 2]""", "must be a JSON object" },
        { """{ "language": "python", "entry": "module.py" }""", "\"version\" is missing" },
        { """{ "version": 1, "language": "python", "entry": "module.py" }""", "\"version\" must be a string" },
        { """{ "version": "1.0.0-01", "language": "python", "entry": "module.py" }""", "\"version\": version \"1.0.0-01\" is not a semantic version" },
        { """{ "name": "Text.Tokenize", "version": "1.0.0", "language": "python", "entry": "module.py" }""", "\"name\": \"Text.Tokenize\" is not a module name" },
        { """{ "version": "1.0.0", "language": "rust", "entry": "lib.rs" }""", "\"language\" \"rust\" is not supported; use one of \"csharp\", \"python\", \"gguf\"" },
        { """{ "version": "1.0.0", "language": "csharp" }""", "\"entry\" is missing" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "../x.cs" }""", "must be a plain path inside the module folder" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "/etc/x.cs" }""", "must be a plain path inside the module folder" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.cs" }""", "is not a .py file, as a python module needs" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "limts": {} }""", "unknown field \"limts\"; did you mean \"limits\"?" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "limits": { "timeout": 5 } }""", "unknown field \"limits.timeout\"" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "limits": { "timeout_ms": -1 } }""", "limits.timeout_ms must be a positive integer" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "limits": { "rate_per_caller": "fast" } }""", "limits.rate_per_caller must be a non-negative number" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "free" } }""", "access.mode \"free\" is not one of" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid" } }""", "access.mode \"paid\" needs access.price" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": 0.001 } }""", "access.price must be a string of $GPT" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "0,001" } }""", "access.price: \"0,001\" is not an amount of $GPT" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "-1" } }""", "is not an amount of $GPT" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "1e-3" } }""", "is not an amount of $GPT" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "0.0000000000000000001" } }""", "has 19 decimals; $GPT has 18" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "0.000" } }""", "access.price is 0" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "." } }""", "is not an amount of $GPT" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": " 0.001" } }""", "has spaces around it" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "0.001", "price_per_1k_tokens": "x" } }""", "access.price_per_1k_tokens: \"x\" is not an amount" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "signed", "price": "0.001" } }""", "access.price applies to access.mode \"paid\" only" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "price_per_1k_tokens": "0.001" } }""", "access.price_per_1k_tokens applies to access.mode \"paid\" only" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "prize": "0.001" } }""", "did you mean \"access.price\"?" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "allow" } }""", "needs a non-empty access.allow list" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "allow", "allow": ["0x12"] } }""", "is not an address" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "stake", "min_stake": -5 } }""", "access.min_stake must be a whole number" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "tags": "text" }""", "\"tags\" must be an array of strings" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "references": ["Microsoft.ML.Tokenizers"] }""", "\"references\" is no longer read: declare the NuGet packages" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "packages": { "Numpy": "1.0.0" } }""", "it applies to csharp modules only" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "packages": { "Microsoft.ML.Tokenizers": "[2.0.1,)" } }""", "must be an exact NuGet version such as" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "packages": { "bad id!": "1.0.0" } }""", "is not a NuGet package id" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "imports": ["numpy"] }""", "it applies to python modules only" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "imports": ["num py"] }""", "is not a Python module name" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "isolation": "container" }""", "\"isolation\" \"container\" is not known; use \"process\", \"inprocess\"" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "isolation": "inprocess" }""", "applies to csharp modules only; a Python interpreter lives only in worker processes" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "limits": { "memory_mb": -1 } }""", "limits.memory_mb must be" },
        { """{ "version": "1.0.0", "language": "gguf" }""", "\"model\" is missing; a gguf module names its GGUF file in the module folder, e.g. \"model\": \"model.q8_0.gguf\"" },
        { """{ "version": "1.0.0", "language": "gguf", "entry": "model.gguf" }""", "\"entry\" does not apply to gguf modules, which have no code of their own; name the GGUF file in \"model\" instead" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "model.bin" }""", "\"model\" \"model.bin\" is not a .gguf file" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "../shared/model.gguf" }""", "\"model\" \"../shared/model.gguf\" must be a plain path inside the module folder" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "/models/model.gguf" }""", "\"model\" \"/models/model.gguf\" must be a plain path inside the module folder" },
        { """{ "version": "1.0.0", "language": "gguf", "model": 7 }""", "\"model\" must be a string" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "context": 0 }""", "\"context\" must be a positive integer (the tokens of one generation" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "context": "128" }""", "\"context\" must be a positive integer" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "contexts": 0 }""", "\"contexts\" must be an integer from 1 to 64 (how many generations run at once" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "contexts": 65 }""", "\"contexts\" must be an integer from 1 to 64" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "threads": 0 }""", "\"threads\" must be an integer from 1 to 256 (the CPU threads of each generation)" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "isolation": "inprocess" }""", "\"isolation\": \"inprocess\" is not available to gguf modules; llama.cpp's native code runs only in worker processes" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "packages": { "LLamaSharp": "0.30.0" } }""", "it applies to csharp modules only" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "imports": ["numpy"] }""", "it applies to python modules only" },
        { """{ "version": "1.0.0", "language": "python", "entry": "module.py", "model": "m.gguf" }""", "\"model\" applies to gguf modules only (a python module names its code in \"entry\"); set \"language\": \"gguf\"" },
        { """{ "version": "1.0.0", "language": "csharp", "entry": "M.cs", "contexts": 4 }""", "\"contexts\" applies to gguf modules only" },
        { """{ "version": "1.0.0", "language": "gguf", "model": "m.gguf", "contxt": 64 }""", "unknown field \"contxt\"; did you mean \"context\"?" },
    };

    [Theory]
    [MemberData(nameof(BadManifests))]
    public void Parse_BadManifest_ThrowsNamingTheFieldAndTheFix(string json, string reason)
    {
        var ex = Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Parse(Encoding.UTF8.GetBytes(json), "here/module.json"));
        Assert.Contains(reason, ex.Message);
        Assert.Equal("here/module.json", ex.Path);
    }

    [Fact]
    public void Parse_MinimalManifest_UsesTheDefaults()
    {
        var manifest = ModuleManifestReader.Parse("""
            // comments and trailing commas are accepted
            { "version": "0.1.0", "language": "python", "entry": "module.py", }
            """u8, "module.json");

        Assert.Null(manifest.Name);
        Assert.Equal("0.1.0", manifest.Version.Value);
        Assert.Equal(string.Empty, manifest.Description);
        Assert.Empty(manifest.Tags);
        Assert.Empty(manifest.Packages);
        Assert.Equal(ModuleLimits.Default, manifest.Limits);
        Assert.Equal("open", manifest.Access.Mode);
    }

    [Fact]
    public void Parse_EveryField_IsRead()
    {
        var manifest = ModuleManifestReader.Parse("""
            {
              "$schema": "../module.schema.json",
              "name": "text.tokenize",
              "version": "1.2.0-rc.1",
              "language": "csharp",
              "entry": "src/Tok.cs:Gpt2",
              "description": "d",
              "tags": ["a", "b"],
              "packages": { "Microsoft.ML.Tokenizers": "2.0.1" },
              "limits": { "timeout_ms": 5000, "max_concurrency": 2, "max_queue": 3, "max_request_bytes": 1024, "rate_per_caller": 2.5 },
              "access": { "mode": "stake", "min_stake": "1000000000000000000000" }
            }
            """u8, "module.json");

        Assert.Equal("text.tokenize", manifest.Name?.Value);
        Assert.True(manifest.Version.IsPrerelease);
        Assert.Equal(("src/Tok.cs", "Gpt2"), (manifest.EntryFile, manifest.EntryClass));
        Assert.Equal("2.0.1", manifest.Packages["Microsoft.ML.Tokenizers"]);
        Assert.Equal(new ModuleLimits(TimeSpan.FromSeconds(5), 2, 3, 1024, 2.5), manifest.Limits);
        Assert.Equal(System.Numerics.BigInteger.Parse("1000000000000000000000"), manifest.Access.MinStake);
    }

    [Theory]
    [InlineData("0.001", "1000000000000000")]
    [InlineData("1", "1000000000000000000")]
    [InlineData(".5", "500000000000000000")]
    [InlineData("2.", "2000000000000000000")]
    [InlineData("0.000000000000000001", "1")]
    [InlineData("123456789.123456789123456789", "123456789123456789123456789")]
    public void Parse_PaidAccess_PricesExactlyInWei(string price, string wei)
    {
        var manifest = ModuleManifestReader.Parse(Encoding.UTF8.GetBytes(
            $$"""{ "version": "1.0.0", "language": "python", "entry": "module.py", "access": { "mode": "paid", "price": "{{price}}", "price_per_1k_tokens": "0.01" } }"""), "module.json");

        Assert.True(manifest.Access.IsPaid);
        Assert.Equal(System.Numerics.BigInteger.Parse(wei), manifest.Access.Price);
        Assert.Equal(System.Numerics.BigInteger.Parse("10000000000000000"), manifest.Access.PricePer1kTokens);
        Assert.Equal(manifest.Access.Price, GptAmount.Parse(GptAmount.ToDecimalString(manifest.Access.Price)));
    }

    [Fact]
    public void Parse_GgufModule_ReadsTheModelAndItsDefaults()
    {
        var manifest = ModuleManifestReader.Parse("""{ "version": "1.0.0", "language": "gguf", "model": "weights/kjv.q8_0.gguf" }"""u8, "module.json");

        Assert.Equal(ModuleLanguages.Gguf, manifest.Language);
        Assert.Equal(new GgufModel("weights/kjv.q8_0.gguf", Context: null, Contexts: 2, Threads: 2), manifest.Model);
        // The model stands where another module's entry does: the file a package must carry.
        Assert.Equal("weights/kjv.q8_0.gguf", manifest.EntryFile);
        Assert.Equal(ModuleIsolation.Process, manifest.Isolation);

        var tuned = ModuleManifestReader.Parse("""{ "version": "1.0.0", "language": "gguf", "model": "m.GGUF", "context": 64, "contexts": 4, "threads": 1 }"""u8, "module.json");
        Assert.Equal(new GgufModel("m.GGUF", 64, 4, 1), tuned.Model);
        Assert.Null(ModuleManifestReader.Parse(Encoding.UTF8.GetBytes(Minimal), "module.json").Model);
    }

    [Fact]
    public void Read_GgufModelMissingOrNotAGguf_NamesTheFieldAndTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("modulus-manifest-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "module.json"), """{ "version": "1.0.0", "language": "gguf", "model": "kjv.q8_0.gguf" }""");
            var missing = Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Read(folder));
            Assert.Equal($"\"model\" file \"kjv.q8_0.gguf\" does not exist in {folder}; put the GGUF file in the module folder, or name the one that is there", missing.Message);
            Assert.Equal(Path.Combine(folder, "module.json"), missing.Path);

            File.WriteAllText(Path.Combine(folder, "kjv.q8_0.gguf"), "<html>Not found</html>");
            var html = Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Read(folder));
            Assert.StartsWith("\"model\" file \"kjv.q8_0.gguf\" is not a GGUF file (it does not begin with the bytes \"GGUF\")", html.Message);

            File.WriteAllBytes(Path.Combine(folder, "kjv.q8_0.gguf"), "GG"u8.ToArray());
            Assert.Contains("is not a GGUF file", Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Read(folder)).Message);

            File.WriteAllBytes(Path.Combine(folder, "kjv.q8_0.gguf"), [.. "GGUF"u8, 3, 0, 0, 0]);
            Assert.Equal("kjv.q8_0.gguf", ModuleManifestReader.Read(folder).Model!.File);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Read_EntryFileMissing_SaysWhichFile()
    {
        var folder = Directory.CreateTempSubdirectory("modulus-manifest-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "module.json"), Minimal);
            var ex = Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Read(folder));
            Assert.Contains("entry file \"module.py\" does not exist", ex.Message);
            File.WriteAllText(Path.Combine(folder, "module.py"), "import modulus\n");
            Assert.Equal("module.py", ModuleManifestReader.Read(folder).EntryFile);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Read_NoManifest_SaysHowToMakeOne()
    {
        var ex = Assert.Throws<ModuleManifestException>(() => ModuleManifestReader.Read(Path.GetTempPath()));
        Assert.Contains("`modulus new NAME` makes one", ex.Message);
    }
}
