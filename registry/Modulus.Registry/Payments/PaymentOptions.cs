namespace Modulus.Registry.Payments;

/// <summary>How a host takes payments: configuration section <c>Modulus:Payments</c>.</summary>
public sealed class PaymentOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Modulus:Payments";

    /// <summary>The voucher ledger; null for <c>$MODULUS_HOME/payments/vouchers.log</c>.</summary>
    public string? LedgerFile { get; set; }

    /// <summary>Redeem when what the host is owed and has not redeemed reaches this many $GPT (a decimal); below it a redemption may cost more gas than it pays.</summary>
    public string RedeemThreshold { get; set; } = "1";

    /// <summary>How often the redeemer looks at what is owed.</summary>
    public TimeSpan RedeemInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Vouchers per redeem transaction.</summary>
    public int RedeemChunkSize { get; set; } = EscrowPayments.DefaultChunkSize;

    /// <summary>The first wait after a failed redemption; it doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries of a failed redemption.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a payer's escrow balance and signers, read from the chain, are reused before they are read again.</summary>
    public TimeSpan ChainCacheAge { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The most payers' balances and signers kept from chain reads; beyond it reads are not kept until older ones age out.</summary>
    public int ChainCacheEntries { get; set; } = 100_000;

    /// <summary>The most reads of the escrow a host makes at once to check vouchers; more wait (within their call's deadline).</summary>
    public int MaxChainReads { get; set; } = 8;

    /// <summary>
    /// The refused vouchers a second one caller address may send (a burst of as many, then as many a
    /// second) before its paid calls are refused unchecked for a moment; 0 for no limit. Each refusal
    /// costs the host a signature recovery and maybe a chain read; accepted vouchers cost nothing here.
    /// </summary>
    public int MaxRefusedVouchersPerSecond { get; set; } = 20;

    /// <summary>How long shutdown waits for the last redemption.</summary>
    public TimeSpan ShutdownRedeemTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The ledger file these options name.</summary>
    public string LedgerPath => LedgerFile ?? Path.Combine(Protocol.ModulusHome.Path, "payments", "vouchers.log");
}
