using System.Security.Cryptography;
using System.Text;

namespace Modules.Util;

/// <summary>
/// The shipped example of a paid module: each call costs 0.001 $GPT, paid by a voucher on the
/// caller's escrow deposit for the host. What it computes is deliberately simple; the point is the
/// payment path (see the README, "Paid calls").
/// </summary>
public sealed class Notary : Module
{
    /// <summary>The SHA-256 of the text's UTF-8 bytes, its length, and who paid for the attestation.</summary>
    [Endpoint(Description = "SHA-256 (hex) of the text's UTF-8 bytes, its length in bytes, and the paying caller's address.", Idempotent = true)]
    public Dictionary<string, object?> Forward(CallContext context, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new()
        {
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
            ["bytes"] = bytes.Length,
            ["payer"] = context.Caller,
        };
    }
}
