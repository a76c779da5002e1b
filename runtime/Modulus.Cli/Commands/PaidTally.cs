using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Modulus.Client;

namespace Modulus.Cli.Commands;

/// <summary>
/// What `modulus call --pay` has paid each host for each module, kept between runs in
/// <c>$MODULUS_HOME/payments/paid.json</c>: each run is a new process, and its voucher must carry
/// the cumulative amount, which only the payer's own record can bound (a host's word would let it
/// charge for calls it never served).
/// </summary>
internal static class PaidTally
{
    public static string PathOf => Path.Combine(Protocol.ModulusHome.Path, "payments", "paid.json");

    public static PaymentTally Load()
    {
        if (!File.Exists(PathOf))
        {
            return new PaymentTally();
        }

        var saved = JsonSerializer.Deserialize<Saved>(File.ReadAllText(PathOf)) ?? new Saved([], []);
        return new PaymentTally(Amounts(saved.Paid), Amounts(saved.Uncertain));
    }

    public static void Save(PaymentTally tally)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf)!);
        var temporary = PathOf + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(new Saved(Texts(tally.Entries), Texts(tally.Uncertain)), new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, PathOf, overwrite: true);
    }

    private static IEnumerable<KeyValuePair<string, BigInteger>> Amounts(Dictionary<string, string>? texts) =>
        (texts ?? []).Select(e => KeyValuePair.Create(e.Key, BigInteger.Parse(e.Value, CultureInfo.InvariantCulture)));

    private static Dictionary<string, string> Texts(IReadOnlyDictionary<string, BigInteger> amounts) =>
        amounts.ToDictionary(e => e.Key, e => e.Value.ToString(CultureInfo.InvariantCulture));

    private sealed record Saved(Dictionary<string, string> Paid, Dictionary<string, string> Uncertain);
}
