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
        tally.Settle(Key, 10);
        tally.Cancel(Key, 10);
        Assert.Equal(new BigInteger(10), tally.Paid(Key));
        Assert.Equal(new BigInteger(20), tally.Reserve(Key, 10));
    }

    [Fact]
    public void ALostAnswer_IsPaidOnlyWhenTheHostSaysSo_AndOnlyOnce()
    {
        var tally = new PaymentTally();
        tally.Reserve(Key, 10);
        tally.Lose(Key, 10);
        Assert.Equal(new BigInteger(10), tally.Uncertain[Key]);
        Assert.True(tally.Concede(Key, 10));
        Assert.False(tally.Concede(Key, 10));
        Assert.Equal(new BigInteger(10), tally.Paid(Key));
        Assert.Empty(tally.Uncertain);

        var restored = new PaymentTally(tally.Entries, tally.Uncertain);
        Assert.Equal(new BigInteger(20), restored.Reserve(Key, 10));
    }
}
