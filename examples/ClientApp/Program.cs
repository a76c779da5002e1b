// Calls the modules that ship with Modulus on a running host (`make run` in another shell).
// Usage: dotnet run --project examples/ClientApp [grpc://127.0.0.1:7050]
using Modulus.Client;
using Modulus.Sdk;

var address = args.Length > 0 ? args[0] : Environment.GetEnvironmentVariable("MODULUS_URL") ?? "grpc://127.0.0.1:7050";
await using var client = ModulusClient.Connect(address);

try
{
    // A C# module: GPT-2 tokens and back.
    var ids = await client.CallAsync("text.tokenize", "Modules served by name.");
    Console.WriteLine($"text.tokenize         -> {ids}");
    Console.WriteLine($"text.tokenize/decode  -> {await client.CallAsync("text.tokenize/decode", ids)}");

    // A Python module with a keyword argument.
    var stats = await client.CallAsync("text.stats", ["The cat sat. The cat ran."], new Dictionary<string, Value> { ["top"] = 1 });
    Console.WriteLine($"text.stats            -> {stats}");

    // Tensors: a C# module and a numpy module.
    var logits = Tensor.FromArray(new float[] { 2.0f, 1.0f, 0.1f });
    var probabilities = (await client.CallAsync("tensor.softmax", logits)).AsTensor();
    Console.WriteLine($"tensor.softmax        -> [{string.Join(", ", probabilities.ToArray<float>().Select(p => p.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)))}]");
    Console.WriteLine($"tensor.moments        -> {await client.CallAsync("tensor.moments", probabilities)}");
    return 0;
}
catch (ModulusException ex)
{
    Console.Error.WriteLine($"{ex.Code.ToWireName()}: {ex.Message}");
    return 1;
}
