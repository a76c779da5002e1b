namespace Modulus.Testing;

/// <summary>Polls a condition in a bounded loop: for effects that happen asynchronously (a reload).</summary>
internal static class Eventually
{
    public static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        T last = await probe();
        while (!done(last))
        {
            if (DateTime.UtcNow > deadline)
            {
                return last;
            }

            await Task.Delay(100);
            last = await probe();
        }

        return last;
    }
}
