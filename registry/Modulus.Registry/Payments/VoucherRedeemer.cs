using System.Numerics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Modulus.Modules;
using Modulus.Registry.Contracts;

namespace Modulus.Registry.Payments;

/// <summary>
/// Redeems the host's vouchers on chain: whenever what it is owed and has not redeemed reaches
/// <see cref="PaymentOptions.RedeemThreshold"/> (below it the gas may cost more than it pays), and
/// once more on shutdown whatever the amount, in chunks of <see cref="PaymentOptions.RedeemChunkSize"/>.
/// A failed transaction is retried after a delay that doubles up to <see cref="PaymentOptions.MaxRetryDelay"/>;
/// an underfunded voucher stays in the ledger and is tried again next round.
/// </summary>
internal sealed class VoucherRedeemer(EscrowPaymentGate gate, EscrowPayments host, IOptions<PaymentOptions> options, TimeProvider time, ILogger<VoucherRedeemer> logger) : BackgroundService
{
    private readonly PaymentOptions _options = options.Value;
    private readonly BigInteger _threshold = GptAmount.Parse(options.Value.RedeemThreshold);

    /// <summary>What redeeming everything held would pay now.</summary>
    public BigInteger Owed => gate.Unredeemed().Aggregate(BigInteger.Zero, (sum, e) => sum + e.Unredeemed);

    /// <summary>Redeems every voucher above what the chain has redeemed, now.</summary>
    /// <returns>The report; items that failed are still owed.</returns>
    public async Task<RedeemReport> RedeemAllAsync(CancellationToken cancellationToken)
    {
        var due = gate.Unredeemed();
        var report = await host.RedeemAsync([.. due.Select(e => new SignedVoucher(e.Payer, e.Module, e.Voucher, e.Signature!))], _options.RedeemChunkSize, cancellationToken).ConfigureAwait(false);
        foreach (var item in report.Items)
        {
            var v = item.Voucher;
            switch (item.Outcome)
            {
                case RedeemOutcome.Paid:
                    await gate.MarkRedeemedAsync(v.Payer, v.Module, v.CumulativeAmount).ConfigureAwait(false);
                    break;
                case RedeemOutcome.Skipped when item.SkipReason == RedeemSkipReason.NotIncreasing:
                    // Redeemed already (by `modulus redeem` beside a running host, say): learn how far.
                    await gate.MarkRedeemedAsync(v.Payer, v.Module, await host.RedeemedAsync(v.Payer, v.Module).ConfigureAwait(false)).ConfigureAwait(false);
                    break;
                case RedeemOutcome.Skipped:
                    PaymentLog.RedeemSkipped(logger, v.Payer, v.Module, GptAmount.Format(v.CumulativeAmount), item.Reason!);
                    break;
            }
        }

        var paid = report.Items.Count(i => i.Outcome == RedeemOutcome.Paid);
        if (paid > 0)
        {
            PaymentLog.Redeemed(logger, paid, GptAmount.Format(report.Paid), report.Transactions.Count);
        }

        return report;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = _options.RetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.RedeemInterval;
            if (Owed >= _threshold && Owed > 0)
            {
                var report = await TryRedeemAsync(stoppingToken).ConfigureAwait(false);
                if (report is null || report.Items.Any(i => i.Outcome == RedeemOutcome.Failed))
                {
                    PaymentLog.RedeemFailed(logger, report?.Items.First(i => i.Outcome == RedeemOutcome.Failed).Reason ?? "the chain did not answer", delay);
                    wait = delay;
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
                }
                else
                {
                    delay = _options.RetryDelay;
                }
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        var due = gate.Unredeemed();
        if (due.Count == 0)
        {
            return;
        }

        PaymentLog.RedeemOnShutdown(logger, GptAmount.Format(Owed), due.Count);
        using var timeout = new CancellationTokenSource(_options.ShutdownRedeemTimeout);
        await TryRedeemAsync(timeout.Token).ConfigureAwait(false);
    }

    private async Task<RedeemReport?> TryRedeemAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await RedeemAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryException ex)
        {
            PaymentLog.RedeemFailed(logger, ex.Message, _options.RetryDelay);
            return null;
        }
        catch (IOException ex)
        {
            // Paid on chain but not recorded: the ledger has failed (the gate refuses paid calls
            // now); the next start replays it and learns what was redeemed from the chain.
            PaymentLog.RedeemFailed(logger, ex.Message, _options.RetryDelay);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
