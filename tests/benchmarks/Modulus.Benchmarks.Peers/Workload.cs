using System.Runtime.InteropServices;
using System.Text;
using Modulus.Sdk;

namespace Modulus.Benchmarks.Peers;

/// <summary>What a call does: echo a string, or sum a float32 tensor; in C# or in Python on the Modulus side.</summary>
internal enum WorkKind
{
    Echo,
    Sum,
}

/// <summary>
/// One benchmark case, built once so that every system sends the same bytes: the payload as an SDK
/// value, as raw bytes for the peers, and the answer to check each reply against.
/// </summary>
internal sealed record Workload(string Name, WorkKind Kind, bool Python, int PayloadBytes)
{
    public string Text { get; private init; } = string.Empty;

    public byte[] TensorBytes { get; private init; } = [];

    public Value ModulusValue { get; private init; } = Value.Null;

    public double ExpectedSum { get; private init; }

    /// <summary>Whether the Modulus side runs it in the host process (<c>"isolation": "inprocess"</c>) rather than in a worker.</summary>
    public bool InProcess { get; init; }

    /// <summary>The module a Modulus host serves this case with.</summary>
    public string Module => InProcess ? (Kind == WorkKind.Echo ? "bench.echo-inprocess" : "bench.sum-inprocess") : (Kind, Python) switch
    {
        (WorkKind.Echo, false) => "bench.echo",
        (WorkKind.Echo, true) => "bench.pyecho",
        (WorkKind.Sum, false) => "bench.sum",
        _ => "bench.pysum",
    };

    /// <summary>True for cases small enough for one datagram.</summary>
    public bool FitsDatagram => Kind == WorkKind.Echo;

    public static Workload Echo(string name, int bytes, bool python = false)
    {
        var text = new StringBuilder(bytes);
        for (var i = 0; text.Length < bytes; i++)
        {
            text.Append((char)('a' + (i % 26)));
        }

        return new Workload(name, WorkKind.Echo, python, bytes) { Text = text.ToString(), ModulusValue = text.ToString() };
    }

    public static Workload Sum(string name, int bytes, bool python = false)
    {
        var elements = new float[bytes / sizeof(float)];
        var random = new Random(7);
        double expected = 0;
        for (var i = 0; i < elements.Length; i++)
        {
            // Small integers: every order of summation gives the same float32 sum, so replies are exact.
            elements[i] = random.Next(-4, 5);
            expected += elements[i];
        }

        var tensor = Tensor.FromArray(elements, elements.Length);
        return new Workload(name, WorkKind.Sum, python, bytes)
        {
            TensorBytes = MemoryMarshal.AsBytes(elements.AsSpan()).ToArray(),
            ModulusValue = tensor,
            ExpectedSum = expected,
        };
    }

    /// <summary>Throws when a reply is not the answer: a benchmark of wrong answers measures nothing.</summary>
    public void Check(string system, string? text, double? sum)
    {
        var right = Kind == WorkKind.Echo ? text == Text : sum == ExpectedSum;
        if (!right)
        {
            throw new InvalidOperationException($"{system} answered {Name} wrongly: {(Kind == WorkKind.Echo ? $"\"{text?[..Math.Min(text.Length, 40)]}\"" : sum)}");
        }
    }
}
