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

        var entries = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(PathOf)) ?? [];
        return new PaymentTally(entries.Select(e => KeyValuePair.Create(e.Key, BigInteger.Parse(e.Value, CultureInfo.InvariantCulture))));
    }

    public static void Save(PaymentTally tally)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PathOf)!);
        var temporary = PathOf + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(tally.Entries.ToDictionary(e => e.Key, e => e.Value.ToString(CultureInfo.InvariantCulture)), new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, PathOf, overwrite: true);
    }
}
