using Modulus.Modules;
using Modulus.Sdk;

namespace Modulus.Runtime.Access;

/// <summary>What <c>ls</c> and <c>info</c> show of a module's access rule: its mode and prices.</summary>
internal static class AccessDescription
{
    /// <summary>The info with the access mode and prices of <paramref name="access"/> filled in.</summary>
    public static ModuleInfo Describe(ModuleInfo info, ModuleAccess access) => info with
    {
        AccessMode = access.Mode,
        Price = access.IsPaid ? GptAmount.ToDecimalString(access.Price) : null,
        PricePer1kTokens = access.IsPaid && !access.PricePer1kTokens.IsZero ? GptAmount.ToDecimalString(access.PricePer1kTokens) : null,
    };
}
