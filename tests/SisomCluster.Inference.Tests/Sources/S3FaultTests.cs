using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>
/// Reading an s3 pool through a proxy that injects the network's faults (<see cref="FaultyHttpProxy"/>) in front of the
/// real S3 API: each fault is either healed (retried, resumed by range) or fails the shard with its reason — never a
/// hang, never a silently short shard.
/// </summary>
public sealed class S3FaultTests : IDisposable
{
    private const int Samples = 40;

    private readonly PoolTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    /// <summary>A bucket with one tar of <see cref="Samples"/> PNGs (some 40 KB), listed directly; the source reads through the proxy.</summary>
    private async Task<(S3TestBucket Bucket, FaultyHttpProxy Proxy, S3TarPoolSource Source, ListedShard Shard, long Size)> SetUpAsync(S3Settings? settings = null)
    {
        S3TestBucket bucket = await S3TestBucket.CreateAsync();
        string tar = _files.WriteTar("pool/a.tar", [.. Enumerable.Range(0, Samples).Select(k => ($"{k:000}.png", PoolTestFiles.Png(k)))]);
        await bucket.UploadFolderAsync(_files.PathOf("pool"), "crawl/");
        var proxy = new FaultyHttpProxy(bucket.ServiceUrl);
        var context = new PoolContext(new S3Store((settings ?? S3TestBucket.Settings()) with { ServiceUrl = proxy.Url, ReadAheadBytes = 256 << 10 }), Img2DatasetColumns.Default);
        var source = new S3TarPoolSource(bucket.Uri("crawl"), context);
        PoolListing listing = await source.ListAllAsync(10);
        proxy.Reset();
        return (bucket, proxy, source, listing.Shards.Single(), new FileInfo(tar).Length);
    }

    private static async Task<List<PoolItem>> ReadWithinAsync(S3TarPoolSource source, ListedShard shard)
    {
        // A read that hangs fails the test instead of the test run.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await source.ReadAllAsync(shard, deadline.Token);
    }

    [Fact]
    public async Task A_body_cut_mid_stream_is_resumed_by_range_and_every_item_arrives_once()
    {
        (S3TestBucket bucket, FaultyHttpProxy proxy, S3TarPoolSource source, ListedShard shard, long size) = await SetUpAsync();
        await using (bucket)
        await using (proxy)
        {
            proxy.Decide = r => r.Method == "GET" && r.Number <= 2 ? new ProxyFault(ProxyFaultKind.CutAfter, size / 5) : ProxyFault.None;
            List<PoolItem> read = await ReadWithinAsync(source, shard);

            Assert.Equal(Enumerable.Range(0, Samples).Select(k => $"a/{k:000}"), read.Select(i => i.Id));
            Assert.All(read, i => Assert.Null(i.Error));
            Assert.Equal(Enumerable.Range(0, Samples).Select(PoolTestFiles.Png), read.Select(i => i.Bytes.ToArray()));

            // Two cuts, two resumptions from where each stopped (not from the start), in that order. The SDK may repeat a
            // request of its own (a timeout on a loaded machine): the ranges asked for are what is checked, not the count.
            ProxyRequest[] gets = [.. proxy.Seen.Where(r => r.Method == "GET")];
            Assert.Null(gets[0].Range);
            Assert.Equal([$"bytes={size / 5}-{size - 1}", $"bytes={2 * (size / 5)}-{size - 1}"], gets.Select(g => g.Range).OfType<string>().Distinct());
        }
    }

    [Fact]
    public async Task A_body_that_never_gets_past_a_point_fails_the_shard_after_its_retries_with_the_reason()
    {
        (S3TestBucket bucket, FaultyHttpProxy proxy, S3TarPoolSource source, ListedShard shard, long size) = await SetUpAsync();
        await using (bucket)
        await using (proxy)
        {
            proxy.Decide = r => r.Method == "GET" ? new ProxyFault(ProxyFaultKind.CutAtObjectOffset, size / 2) : ProxyFault.None;
            IOException failed = await Assert.ThrowsAnyAsync<IOException>(() => ReadWithinAsync(source, shard));

            Assert.Contains($"read {size / 2} of {size} bytes, then 3 tries failed", failed.Message, StringComparison.Ordinal);
            Assert.Contains("a.tar", failed.Message, StringComparison.Ordinal);

            // The first request, then MaxRetries (2) resumptions that get nowhere (the SDK may repeat one of its own).
            Assert.InRange(proxy.Seen.Count(r => r.Method == "GET"), 3, 6);
        }
    }

    [Fact]
    public async Task Http_500s_are_retried_and_a_store_that_keeps_failing_fails_the_shard_with_the_status()
    {
        (S3TestBucket bucket, FaultyHttpProxy proxy, S3TarPoolSource source, ListedShard shard, _) = await SetUpAsync();
        await using (bucket)
        await using (proxy)
        {
            proxy.Decide = r => r.Number <= 2 ? new ProxyFault(ProxyFaultKind.Status500) : ProxyFault.None;
            List<PoolItem> read = await ReadWithinAsync(source, shard);
            Assert.Equal(Samples, read.Count(i => i.Error is null));

            // The two 500s, then the request that succeeds: three requests when nothing else goes wrong. A full ./test.sh on
            // the loaded 2-core machine once saw a fourth; what this checks is that the 500s were retried and every item
            // read, not how many requests the SDK made for it.
            Assert.True(proxy.Seen.Count >= 3, $"{proxy.Seen.Count} requests for two 500s and a success");

            proxy.Reset();
            proxy.Decide = _ => new ProxyFault(ProxyFaultKind.Status500);
            IOException failed = await Assert.ThrowsAnyAsync<IOException>(() => ReadWithinAsync(source, shard));
            Assert.Contains("InternalError (500)", failed.Message, StringComparison.Ordinal);
            Assert.True(proxy.Seen.Count > 3, $"{proxy.Seen.Count} requests: not retried");
        }
    }

    [Fact]
    public async Task A_response_that_never_comes_times_out_and_is_retried()
    {
        // Two retries, not one: with a 1 s timeout a loaded CI machine (s3rver answering the retry and the next tar's
        // prefetch at once) once let the single retry time out too.
        (S3TestBucket bucket, FaultyHttpProxy proxy, S3TarPoolSource source, ListedShard shard, _) = await SetUpAsync(S3TestBucket.Settings() with { Timeout = TimeSpan.FromSeconds(1), MaxRetries = 2 });
        await using (bucket)
        await using (proxy)
        {
            proxy.Decide = r => r.Number == 1 ? new ProxyFault(ProxyFaultKind.Hang) : ProxyFault.None;
            List<PoolItem> read = await ReadWithinAsync(source, shard);
            Assert.Equal(Samples, read.Count(i => i.Error is null));
            Assert.True(proxy.Seen.Count >= 2);

            proxy.Decide = _ => new ProxyFault(ProxyFaultKind.Hang);
            IOException failed = await Assert.ThrowsAnyAsync<IOException>(() => ReadWithinAsync(source, shard));
            Assert.Contains("a.tar", failed.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_thumbnail_read_through_a_failing_store_is_an_unreadable_item_with_the_reason()
    {
        (S3TestBucket bucket, FaultyHttpProxy proxy, S3TarPoolSource source, _, _) = await SetUpAsync();
        await using (bucket)
        await using (proxy)
        {
            proxy.Decide = _ => new ProxyFault(ProxyFaultKind.Status500);
            PoolItem item = await source.ReadOneAsync("a/003", $"{bucket.Uri("crawl/a.tar")}#003.png");
            Assert.Equal(PoolItem.UnreadableCode, item.ErrorCode);
            Assert.Contains("500", item.Error, StringComparison.Ordinal);

            proxy.Decide = _ => ProxyFault.None;
            Assert.Equal(PoolTestFiles.Png(3), (await source.ReadOneAsync("a/003", $"{bucket.Uri("crawl/a.tar")}#003.png")).Bytes.ToArray());
        }
    }
}
