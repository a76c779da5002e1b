using System.Numerics;

namespace Modulus.Client.Tests;

public class PaymentTallyTests
{
    private static readonly string Key = PaymentTally.Key("0xA", "0xB", 31337, "0xC", "m");

    [Fact]
    public void CallsInFlight_EachSignTheirOwnShare_AndOnlyAnsweredOnesArePaid()
    {
        var tally = new PaymentTally();
        Assert.Equal(new BigInteger(10), tally.Reserve(Key, 10));
        Assert.Equal(new BigInteger(20), tally.Reserve(Key, 10));
        tally.Settle(Key, 10, 10);
        tally.Cancel(Key, 10);
        Assert.Equal(new BigInteger(10), tally.Paid(Key));
        Assert.Equal(new BigInteger(20), tally.Reserve(Key, 10));
    }

    [Fact]
    public void ALostAnswer_IsPaidOnlyWhenTheHostSaysSo_AndOnlyOnce()
    {
        var tally = new PaymentTally();
        tally.Reserve(Key, 10);
        tally.Lose(Key, 10, 0);
        Assert.Equal(new BigInteger(10), tally.Uncertain[Key]);
        Assert.True(tally.Concede(Key, 10));
        Assert.False(tally.Concede(Key, 10));
        Assert.Equal(new BigInteger(10), tally.Paid(Key));
        Assert.Empty(tally.Uncertain);

        var restored = new PaymentTally(tally.Entries, tally.Uncertain);
        Assert.Equal(new BigInteger(20), restored.Reserve(Key, 10));
    }

    [Fact]
    public void AMeteredStream_HoldsItsCredit_PaysWhatItDelivered_AndALostOneConcedesAtMostItsCredit()
    {
        var tally = new PaymentTally();
        // A credit of 100 held, 37 charged for what the stream delivered: the next voucher signs 37 + its own hold.
        Assert.Equal(new BigInteger(100), tally.Reserve(Key, 100));
        tally.Settle(Key, 100, 37);
        Assert.Equal(new BigInteger(37), tally.Paid(Key));
        Assert.Equal(new BigInteger(137), tally.Reserve(Key, 100));

        // Lost after items worth 20 arrived: 20 is paid, the other 80 of the credit is uncertain,
        // conceded a call's price (30) at a time and then what is left, never more.
        tally.Lose(Key, 100, 20);
        Assert.Equal(new BigInteger(57), tally.Paid(Key));
        Assert.Equal(new BigInteger(80), tally.Uncertain[Key]);
        Assert.True(tally.Concede(Key, 30));
        Assert.True(tally.Concede(Key, 30));
        Assert.True(tally.Concede(Key, 30));
        Assert.False(tally.Concede(Key, 30));
        Assert.Equal(new BigInteger(137), tally.Paid(Key));
    }
}
