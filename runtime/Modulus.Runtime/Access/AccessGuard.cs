using Modulus.Runtime.Tree;
using Modulus.Sdk;
using Modulus.Modules;

namespace Modulus.Runtime.Access;

/// <summary>Applies a module's access rule to a caller; a refusal says which rule refused and what to do.</summary>
internal static class AccessGuard
{
    public static async ValueTask CheckAsync(string module, ModuleAccess access, string? caller, IStakeOracle stakes, CancellationToken cancellationToken)
    {
        if (access.Mode == "open")
        {
            return;
        }

        if (caller is null && access.IsPaid)
        {
            // The host's payment gate (IPaymentGate, before the invoker) makes the verified payer the
            // caller of a paid call; a paid call with no caller did not pass through it.
            throw Denied($"{module} is paid ({GptAmount.ToDecimalString(access.Price)} $GPT per call, access.price); pay with a voucher (`modulus call {module} --pay`)");
        }

        if (caller is null)
        {
            throw Denied($"{module} accepts only signed calls (access.mode \"{access.Mode}\"); sign the call with your key (`modulus call --key NAME`)");
        }

        switch (access.Mode)
        {
            case "allow" when !access.Allow.Contains(caller.ToLowerInvariant()):
                throw Denied($"caller {caller} is not on {module}'s allow list (access.allow)");
            case "stake":
                var stake = await stakes.GetStakeAsync(module, caller, cancellationToken).ConfigureAwait(false)
                    ?? throw Denied($"{module} requires a stake of {access.MinStake} (access.min_stake), and this host cannot check stakes (it was started without a chain, or the chain did not answer; see the host's log)");
                if (stake < access.MinStake)
                {
                    throw Denied($"caller {caller} has {stake} counting stake on {module} ($GPT base units; a stake counts from the block after it); access.min_stake is {access.MinStake}: stake more with `modulus stake {module} AMOUNT`");
                }

                break;
        }
    }

    private static ModulusException Denied(string message) => new(StatusCode.PermissionDenied, message);
}
