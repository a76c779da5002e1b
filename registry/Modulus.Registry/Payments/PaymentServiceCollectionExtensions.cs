using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Protocol.Payments;
using Modulus.Protocol.Signing;
using Modulus.Registry.Chain;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace Modulus.Registry.Payments;

/// <summary>Wires paid calls into a host: the escrow's gate in place of the host's refusing one, and the redeemer.</summary>
internal static class PaymentServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host take paid calls on <paramref name="deployment"/>'s escrow: <see cref="EscrowPaymentGate"/>
    /// as the <see cref="IPaymentGate"/> (the host's <see cref="HostIdentity"/> is the vouchers' receiver),
    /// and <see cref="VoucherRedeemer"/> redeeming with the host's own key (the escrow pays only a
    /// voucher's receiver). Options from <c>Modulus:Payments</c>.
    /// </summary>
    /// <param name="services">The host's services; call before <c>AddModulus()</c>, whose default gate this replaces.</param>
    /// <param name="deployment">The contracts; it must have an escrow.</param>
    /// <param name="rpcUrl">The chain's JSON-RPC URL.</param>
    /// <param name="hostKey">The host's private key (32 bytes), read once the host has made it.</param>
    public static IServiceCollection AddEscrowPayments(this IServiceCollection services, RegistryDeployment deployment, string rpcUrl, Func<IServiceProvider, byte[]> hostKey)
    {
        services.AddOptions<PaymentOptions>().Configure<IConfiguration>((o, c) => c.GetSection(PaymentOptions.SectionName).Bind(o));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var web3 = new Web3(new Account(new Nethereum.Signer.EthECKey(hostKey(sp), isPrivate: true), deployment.ChainId), rpcUrl);
            web3.TransactionManager.UseLegacyAsDefault = true;
            return EscrowPayments.For(web3, deployment);
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PaymentOptions>>();
            VoucherLedger ledger;
            try
            {
                ledger = VoucherLedger.Open(options.Value.LedgerPath, sp.GetRequiredService<ILoggerFactory>().CreateLogger<VoucherLedger>());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // ArgumentException: a setting to fix, reported by the host's start as such.
                throw new ArgumentException($"cannot open the voucher ledger {options.Value.LedgerPath} ({ex.Message.TrimEnd('.')}); another host on this $MODULUS_HOME may hold it: give each host its own Modulus:Payments:LedgerFile", ex);
            }
            catch (InvalidDataException ex)
            {
                throw new ArgumentException(ex.Message, ex);
            }

            return new EscrowPaymentGate(sp.GetRequiredService<HostIdentity>(), sp.GetRequiredService<EscrowPayments>().Contracts, ledger, options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EscrowPaymentGate>>());
        });
        services.AddSingleton<IPaymentGate>(sp => sp.GetRequiredService<EscrowPaymentGate>());
        services.AddSingleton<VoucherRedeemer>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<VoucherRedeemer>());
        return services;
    }
}
