using System.Globalization;
using LLama.Native;
using Modulus.Sdk;

namespace Modulus.Runtime.Llama;

/// <summary>
/// How <c>generate</c> and <c>chat</c> pick tokens: the parameters after the prompt (or the
/// messages), in the endpoint contract's order, checked, with the contract's defaults.
/// </summary>
internal sealed record SamplingSettings(int MaxTokens, double Temperature, double TopP, int TopK, uint Seed, IReadOnlyList<string> Stop)
{
    public const int DefaultMaxTokens = 128;
    public const double DefaultTemperature = 0.8;
    public const double DefaultTopP = 0.95;
    public const int DefaultTopK = 40;
    public const long RandomSeed = -1;

    /// <summary>llama.cpp reads this seed as "pick one at random", so a caller's seed stops below it.</summary>
    private const long LargestSeed = uint.MaxValue - 1L;

    /// <summary>The most stop strings a call may give: each is looked for after every token.</summary>
    public const int MaxStops = 16;

    /// <summary>The parameters the settings are read from, as <c>info</c> shows them.</summary>
    public static IReadOnlyList<ParameterSchema> Parameters { get; } =
    [
        new("max_tokens", TypeSpec.Int, Required: false, Json(DefaultMaxTokens)),
        new("temperature", TypeSpec.Float, Required: false, Json(DefaultTemperature)),
        new("top_p", TypeSpec.Float, Required: false, Json(DefaultTopP)),
        new("top_k", TypeSpec.Int, Required: false, Json(DefaultTopK)),
        new("seed", TypeSpec.Int, Required: false, Json(RandomSeed)),
        new("stop", TypeSpec.ListOf(TypeSpec.String), Required: false, "[]"),
    ];

    /// <summary>Greedy decoding: the most likely token every time (temperature 0).</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>Reads the settings from the arguments that follow the first; null slots take their defaults.</summary>
    /// <param name="arguments">The bound arguments: the prompt or messages first, then <see cref="Parameters"/> in order.</param>
    /// <param name="target">module/endpoint, for errors.</param>
    /// <exception cref="ModulusException">INVALID_ARGUMENT naming the parameter.</exception>
    public static SamplingSettings Read(Value?[] arguments, string target)
    {
        var maxTokens = arguments[1]?.AsInt() ?? DefaultMaxTokens;
        if (maxTokens < 1 || maxTokens > int.MaxValue)
        {
            throw Invalid(target, $"max_tokens must be at least 1, not {maxTokens}");
        }

        var temperature = arguments[2]?.AsFloat() ?? DefaultTemperature;
        if (!(temperature >= 0) || double.IsInfinity(temperature))
        {
            throw Invalid(target, $"temperature must be 0 (greedy: always the most likely token) or more, not {Show(temperature)}");
        }

        var topP = arguments[3]?.AsFloat() ?? DefaultTopP;
        if (!(topP > 0 && topP <= 1))
        {
            throw Invalid(target, $"top_p must be more than 0 and at most 1 (1 keeps every token), not {Show(topP)}");
        }

        var topK = arguments[4]?.AsInt() ?? DefaultTopK;
        if (topK < 0 || topK > int.MaxValue)
        {
            throw Invalid(target, $"top_k must be 0 (no limit) or more, not {topK}");
        }

        var seed = arguments[5]?.AsInt() ?? RandomSeed;
        if (seed != RandomSeed && (seed < 0 || seed > LargestSeed))
        {
            throw Invalid(target, $"seed must be -1 (a random seed) or from 0 to {LargestSeed}, not {seed}");
        }

        var stops = arguments[6]?.AsList() ?? [];
        if (stops.Count > MaxStops)
        {
            throw Invalid(target, $"stop holds {stops.Count} strings; give at most {MaxStops}");
        }

        var stop = new string[stops.Count];
        for (var i = 0; i < stop.Length; i++)
        {
            stop[i] = stops[i].AsString();
            if (stop[i].Length == 0)
            {
                throw Invalid(target, $"stop[{i}] is empty; a stop string needs at least one character");
            }
        }

        // A random seed is drawn here, so that llama.cpp's own "random" never applies: the seed used is always one of ours.
        var used = seed == RandomSeed ? (uint)Random.Shared.NextInt64(0, LargestSeed + 1) : (uint)seed;
        return new SamplingSettings((int)maxTokens, temperature, topP, (int)topK, used, stop);
    }

    /// <summary>
    /// The llama.cpp sampler chain for these settings, in llama.cpp's own order (top-k, top-p, then
    /// temperature, then a draw seeded with <see cref="Seed"/>), or greedy for temperature 0.
    /// </summary>
    public SafeLLamaSamplerChainHandle CreateChain()
    {
        var chain = SafeLLamaSamplerChainHandle.Create(LLamaSamplerChainParams.Default());
        if (IsGreedy)
        {
            chain.AddGreedySampler();
            return chain;
        }

        if (TopK > 0)
        {
            chain.AddTopK(TopK);
        }

        if (TopP < 1)
        {
            chain.AddTopP((float)TopP, 1);
        }

        chain.AddTemperature((float)Temperature);
        chain.AddDistributionSampler(Seed);
        return chain;
    }

    private static string Json(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Json(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static ModulusException Invalid(string target, string message) => new(StatusCode.InvalidArgument, $"{target}: {message}");
}
