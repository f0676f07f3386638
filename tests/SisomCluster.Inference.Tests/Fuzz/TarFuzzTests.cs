using System.Diagnostics;
using System.Formats.Tar;
using System.Text;
using SisomCluster.Inference.Pools;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Fuzz;

/// <summary>Seeded fuzzing of the WebDataset tar walk (member headers, sizes, names) and of its JSON sidecars.</summary>
public sealed class TarFuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 3_000;

    [Fact]
    public void The_tar_walk_survives_mutated_tars()
    {
        var watch = Stopwatch.StartNew();
        int inputs = FuzzAssert.Run(Seed(), Walk, seed: 21, Iterations, n => (2 << 20) + (64L * n), "tar", oneLineMessages: true, typeof(InvalidDataException));

        output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void The_sidecar_reader_survives_mutated_json()
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"source\": \"cam1\", \"captured_at\": \"2024-01-01T00:00:00Z\", \"tags\": [1, {\"a\": null}]}");
        var watch = Stopwatch.StartNew();
        int inputs = FuzzAssert.Run(json, bytes => Walk(Tar(("a.png", [1, 2, 3]), ("a.json", bytes))), seed: 22, Iterations, n => (2 << 20) + (64L * n), "sidecar", oneLineMessages: true, typeof(InvalidDataException));

        output.WriteLine($"{inputs} inputs in {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void A_member_claiming_more_bytes_than_the_tar_holds_is_an_item_error_without_the_allocation()
    {
        byte[] tar = Tar(("a.png", new byte[512]));
        // The size field (octal, offset 124) claims 60 MiB; the data is 512 bytes.
        Encoding.ASCII.GetBytes("00360000000\0").CopyTo(tar, 124);
        FixChecksum(tar, 0);

        long before = GC.GetAllocatedBytesForCurrentThread();
        List<TarSample> samples = [];
        try
        {
            samples = Walk(tar, null);
        }
        catch (InvalidDataException)
        {
            // The walk may also stop at the end of the file; either way nothing of 60 MiB was allocated.
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes for a {tar.Length}-byte tar");
        Assert.All(samples, s => Assert.Contains("truncated", s.Error, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sidecar_nested_deeper_than_the_limit_is_ignored_with_a_warning()
    {
        byte[] deep = Encoding.ASCII.GetBytes("{\"source\": " + new string('[', 5000) + "}");
        var warnings = new List<string>();

        List<TarSample> samples = Walk(Tar(("a.png", [1]), ("a.json", deep)), warnings.Add);

        Assert.Null(Assert.Single(samples).Source);
        Assert.Contains(warnings, w => w.Contains("not JSON", StringComparison.Ordinal) && w.Contains("depth", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void A_member_name_over_the_limit_is_refused()
    {
        byte[] tar = Tar((new string('n', TarSamples.MaxNameLength + 1) + ".png", [1]));

        var error = Assert.Throws<InvalidDataException>(() => Walk(tar));

        Assert.Contains($"at most {TarSamples.MaxNameLength}", error.Message, StringComparison.Ordinal);
    }

    private static void Walk(byte[] tar) => _ = Walk(tar, null);

    private static List<TarSample> Walk(byte[] tar, Action<string>? warn)
    {
        // A MemoryStream completes every read at once, so the walk runs on this thread, step by step: the allocation
        // checks count this thread's allocations, and a step that does not complete at once is a failure of its own.
        var samples = new List<TarSample>();
        IAsyncEnumerator<TarSample> walk = TarSamples.ReadAsync(new MemoryStream(tar), "t.tar", withImages: true, warn: warn).GetAsyncEnumerator();
        try
        {
            while (true)
            {
                Task<bool> next = walk.MoveNextAsync().AsTask();
                Assert.True(next.IsCompleted, "a step of the walk over a MemoryStream did not complete synchronously");
                if (!next.GetAwaiter().GetResult())
                {
                    return samples;
                }

                samples.Add(walk.Current);
            }
        }
        finally
        {
            walk.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static byte[] Seed() =>
        Tar(("a.png", [1, 2, 3]), ("a.json", Encoding.UTF8.GetBytes("{\"source\": \"cam\", \"timestamp\": 1700000000}")), ("b.jpg", new byte[700]), ("b.txt", [65]));

    private static byte[] Tar(params (string Name, byte[] Data)[] members)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Gnu, leaveOpen: true))
        {
            foreach ((string name, byte[] data) in members)
            {
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            }
        }

        return stream.ToArray();
    }

    private static void FixChecksum(byte[] tar, int header)
    {
        Encoding.ASCII.GetBytes("        ").CopyTo(tar, header + 148);
        int sum = tar.AsSpan(header, 512).ToArray().Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, header + 148);
    }

    [Fact]
    public void A_sidecar_string_that_is_not_utf8_is_ignored_with_a_warning()
    {
        // Found by fuzzing: JsonElement.GetString threw InvalidOperationException and ended the whole tar walk.
        byte[] json = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "fuzz", "sidecar", "invalid-utf8-source.json"));
        var warnings = new List<string>();

        List<TarSample> samples = Walk(Tar(("a.png", [1]), ("a.json", json)), warnings.Add);

        Assert.Null(Assert.Single(samples).Source);
        Assert.Contains(warnings, w => w.Contains("a.json: sidecar is not JSON", StringComparison.Ordinal));
    }
}
