using System.Diagnostics;
using Xunit;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>
/// Runs a parser over fuzzed inputs and checks the contract every parser here keeps: it returns or throws
/// its documented exception type with a one-line message, and allocates at most a bound that depends on
/// the input's length, never on what the input claims.
/// </summary>
internal static class FuzzAssert
{
    /// <summary>
    /// Feeds <paramref name="iterations"/> mutations of <paramref name="seedInput"/>, every prefix of it, and
    /// every file under <paramref name="corpusFolder"/> to <paramref name="parse"/>; returns how many inputs ran.
    /// </summary>
    public static int Run(
        byte[] seedInput, Action<byte[]> parse, int seed, int iterations, Func<int, long> allocationBound, string? corpusFolder, bool oneLineMessages, params Type[] documented)
    {
        var inputs = new List<(string Name, byte[] Bytes)>();
        for (int keep = 0; keep <= seedInput.Length; keep++)
        {
            inputs.Add(($"prefix {keep}", seedInput[..keep]));
        }

        string corpus = corpusFolder is null ? string.Empty : Path.Combine(AppContext.BaseDirectory, "TestData", "fuzz", corpusFolder);
        if (Directory.Exists(corpus))
        {
            inputs.AddRange(Directory.GetFiles(corpus).Order(StringComparer.Ordinal).Select(f => ($"corpus {Path.GetFileName(f)}", File.ReadAllBytes(f))));
        }

        foreach ((string name, byte[] bytes) in inputs)
        {
            Check(name, bytes, parse, allocationBound, oneLineMessages, documented);
        }

        var mutator = new Mutator(seed);
        for (int i = 0; i < iterations; i++)
        {
            Check($"seed {seed} iteration {i}", mutator.Mutate(seedInput), parse, allocationBound, oneLineMessages, documented);
        }

        return inputs.Count + iterations;
    }

    /// <summary>One input: only a documented exception (one line when <paramref name="oneLineMessages"/>), and allocation within the bound.</summary>
    public static void Check(string name, byte[] input, Action<byte[]> parse, Func<int, long> allocationBound, bool oneLineMessages, params Type[] documented)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            parse(input);
        }
        catch (Exception e) when (documented.Any(t => t.IsInstanceOfType(e)))
        {
            Assert.False(oneLineMessages && e.Message.Contains('\n', StringComparison.Ordinal), $"{name}: the message spans lines: {e.Message}");
        }
        catch (Exception e)
        {
            Assert.Fail($"{name}: undocumented {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 256)))}");
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long bound = allocationBound(input.Length);
        Assert.True(allocated <= bound, $"{name}: allocated {allocated} bytes for a {input.Length}-byte input (bound {bound})");
    }

    /// <summary>Runs <paramref name="body"/> on a thread with a small (256 KiB) stack, so that unbounded recursion shows at modest depth.</summary>
    public static void OnSmallStack(Action body)
    {
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    body();
                }
                catch (Exception e)
                {
                    failure = e;
                }
            },
            maxStackSize: 256 * 1024);
        var watch = Stopwatch.StartNew();
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException($"failed after {watch.ElapsedMilliseconds} ms: {failure}");
        }
    }
}
