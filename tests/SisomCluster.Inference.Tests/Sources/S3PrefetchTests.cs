using System.Diagnostics;
using System.Globalization;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Pools;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>
/// The s3 kind starts the next tar's GET while a shard is read (S3Store.Prefetch), against a real S3 API (s3rver on
/// loopback, behind a counting proxy): the next shard takes the prefetched stream over, one GET per object either way.
/// </summary>
public sealed class S3PrefetchTests(ITestOutputHelper output) : IDisposable
{
    private readonly PoolTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task The_next_shard_takes_over_the_tar_prefetched_while_the_previous_one_was_read()
    {
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync();
        await UploadAsync(bucket, tars: 3, samples: 4, sampleBytes: 1000);
        await using var proxy = new FaultyHttpProxy(S3TestBucket.ServiceUrlFromEnvironment);

        foreach (bool prefetch in new[] { true, false })
        {
            using var store = new S3Store(S3TestBucket.Settings(proxy.Url) with { PrefetchNext = prefetch });
            var source = new S3TarPoolSource(bucket.Uri("crawl"), new PoolContext(store, Img2DatasetColumns.Default));
            PoolListing listing = await source.ListAllAsync(shardSize: 10);
            proxy.Reset();

            var read = new List<PoolItem>();
            foreach (ListedShard shard in listing.Shards)
            {
                read.AddRange(await source.ReadAllAsync(shard));
            }

            // Every item once, in order, whether its tar was prefetched or not.
            Assert.Equal(listing.Items.Select(i => i.Id), read.Select(i => i.Id));
            Assert.All(read, i => Assert.Null(i.Error));
            Assert.Equal(prefetch ? 2 : 0, store.PrefetchHits);

            // One GET per tar: a prefetched tar is not fetched a second time; the last shard prefetches nothing.
            string[] gets = [.. proxy.Seen.Where(r => r.Method == "GET" && r.Path.Contains(".tar", StringComparison.Ordinal)).Select(r => r.Path)];
            Assert.Equal(3, gets.Length);
            Assert.Equal(3, gets.Distinct().Count());
        }
    }

    /// <summary>
    /// The measurement behind the README's prefetch numbers: shards read one after another with a simulated scoring time per
    /// sample, prefetch off and on alternately in the same run. Printed: per pass the wall time and the summed wait for
    /// each shard's first item (what prefetching hides). Asserted: only the hit counts (timings vary with the load).
    /// </summary>
    [Fact]
    public async Task Prefetch_measured_against_no_prefetch_alternately_on_the_loopback_store()
    {
        const int Tars = 6;
        const int Samples = 24;
        const int SampleBytes = 96 << 10;
        TimeSpan scorePerSample = TimeSpan.FromMilliseconds(4);
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync();
        await UploadAsync(bucket, Tars, Samples, SampleBytes);

        var results = new List<(bool Prefetch, double Wall, double FirstItemWait)>();
        for (int pass = 0; pass < 6; pass++)
        {
            bool prefetch = pass % 2 == 1;
            using var store = new S3Store(S3TestBucket.Settings() with { PrefetchNext = prefetch });
            var source = new S3TarPoolSource(bucket.Uri("crawl"), new PoolContext(store, Img2DatasetColumns.Default));
            PoolListing listing = await source.ListAllAsync(shardSize: 10);
            var wall = Stopwatch.StartNew();
            double firstItemWait = 0;
            foreach (ListedShard shard in listing.Shards)
            {
                var start = Stopwatch.StartNew();
                bool first = true;
                await foreach (PoolItem item in source.ReadAsync(shard.Descriptor))
                {
                    if (first)
                    {
                        firstItemWait += start.Elapsed.TotalMilliseconds;
                        first = false;
                    }

                    Assert.Null(item.Error);
                    await Task.Delay(scorePerSample);
                }
            }

            results.Add((prefetch, wall.Elapsed.TotalMilliseconds, firstItemWait));
            Assert.Equal(prefetch ? Tars - 1 : 0, store.PrefetchHits);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pass {pass}: prefetch {(prefetch ? "on " : "off")} wall {wall.Elapsed.TotalMilliseconds:0} ms, first-item waits {firstItemWait:0.0} ms over {Tars} shards"));
        }

        foreach (bool prefetch in new[] { false, true })
        {
            var of = results.Where(r => r.Prefetch == prefetch).ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"prefetch {(prefetch ? "on " : "off")}: median wall {Median(of.Select(r => r.Wall)):0} ms, median first-item waits {Median(of.Select(r => r.FirstItemWait)):0.0} ms ({Tars} tars of {Samples} x {SampleBytes >> 10} KiB, {scorePerSample.TotalMilliseconds} ms scoring per sample)"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private async Task UploadAsync(S3TestBucket bucket, int tars, int samples, int sampleBytes)
    {
        var random = new Random(5);
        for (int t = 0; t < tars; t++)
        {
            (string, byte[])[] members = [.. Enumerable.Range(0, samples).Select(k =>
            {
                byte[] bytes = new byte[sampleBytes];
                random.NextBytes(bytes);
                return ($"{k:000000}.jpg", bytes);
            })];
            await bucket.PutAsync($"crawl/shard-{t:000}.tar", File.ReadAllBytes(_files.WriteTar($"tars/shard-{t:000}.tar", members)));
        }
    }
}
