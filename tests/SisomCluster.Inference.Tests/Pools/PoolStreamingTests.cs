using System.Formats.Tar;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>
/// What streaming promises (IPoolSource): a tar member is found by its header without reading the members before it;
/// listing reads no item bytes; reading holds one item at a time, never the shard; cancellation stops a walk; a single
/// item read stays inside its pool.
/// </summary>
public sealed class PoolStreamingTests
{
    private const int Payload = 8 << 20;

    [Fact]
    public async Task Reading_one_member_neither_reads_nor_buffers_the_members_before_it()
    {
        using var files = new PoolTestFiles();

        // Huge, corrupt predecessors: garbage "images" and an unrelated blob, 32 MiB before the member asked for.
        string tar = WriteTar(files, "big.tar", [
            ("a.png", Garbage(Payload, 1)), ("b.jpg", Garbage(Payload, 2)), ("blob.bin", Garbage(Payload, 3)), ("c.png", Garbage(Payload, 4)),
            ("z.png", PoolTestFiles.Png(7))]);
        using var counting = new CountingStream(File.OpenRead(tar));

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        (byte[]? Bytes, string? Error)? member = await TarSamples.ReadMemberAsync(counting, "big.tar", "z.png", CancellationToken.None);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Equal(PoolTestFiles.Png(7), member!.Value.Bytes);
        Assert.True(new FileInfo(tar).Length > 4L * Payload);
        Assert.InRange(counting.BytesRead, PoolTestFiles.Png(7).Length, 64 * 1024);
        Assert.InRange(allocated, 0, 1 << 20);
    }

    [Fact]
    public async Task Listing_reads_no_item_bytes_and_reading_holds_one_item_at_a_time()
    {
        using var files = new PoolTestFiles();

        // A large shard: every sample carries an 8 MiB member the pool does not use (.bin), 64 MiB of it in all.
        var members = new List<(string, byte[])>();
        for (int k = 0; k < 8; k++)
        {
            members.Add(($"{k:000}.png", PoolTestFiles.Png(k)));
            members.Add(($"{k:000}.bin", Garbage(Payload, k)));
            members.Add(($"{k:000}.json", """{"source": "s"}"""u8.ToArray()));
        }

        string tar = WriteTar(files, "large.tar", [.. members]);
        long size = new FileInfo(tar).Length;
        long imageBytes = Enumerable.Range(0, 8).Sum(k => (long)PoolTestFiles.Png(k).Length);

        using (var counting = new CountingStream(File.OpenRead(tar)))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            List<TarSample> listed = await TarSamples.ReadAsync(counting, "large.tar", withImages: false).ToListAsync();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(8, listed.Count);
            Assert.All(listed, s => Assert.Equal("s", s.Source));
            Assert.InRange(counting.BytesRead, 0, 256 * 1024);
            Assert.InRange(allocated, 0, 2 << 20);
        }

        using (var counting = new CountingStream(File.OpenRead(tar)))
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            int count = 0;
            await foreach (TarSample sample in TarSamples.ReadAsync(counting, "large.tar", withImages: true))
            {
                Assert.Equal(PoolTestFiles.Png(count), sample.Image);
                count++;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(8, count);
            Assert.True(size > 64L << 20);

            // Only the images (and headers, sidecars) pass through: the unused 64 MiB is seeked past, not read or held.
            Assert.InRange(counting.BytesRead, imageBytes, imageBytes + (256 * 1024));
            Assert.InRange(allocated, imageBytes, imageBytes + (2 << 20));
        }
    }

    [Fact]
    public async Task Cancelling_stops_reading_and_listing()
    {
        using var files = new PoolTestFiles();
        string tar = files.WriteTar("c.tar", [.. Enumerable.Range(0, 5).Select(k => ($"{k}.png", PoolTestFiles.Png(k)))]);
        for (int k = 0; k < 5; k++)
        {
            files.Write($"dir/{k}.png", PoolTestFiles.Png(k));
        }

        foreach (IPoolSource source in new IPoolSource[] { new TarPoolSource(tar), new DirectoryPoolSource(files.PathOf("dir")) })
        {
            PoolListing listing = await source.ListAllAsync(shardSize: 100);
            using var cancel = new CancellationTokenSource();
            int read = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (PoolItem item in source.ReadAsync(listing.Shards[0].Descriptor, cancel.Token))
                {
                    read++;
                    await cancel.CancelAsync();
                }
            });
            Assert.Equal(1, read);

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => source.ListAllAsync(shardSize: 100, cancellationToken: cancel.Token));
        }
    }

    [Fact]
    public async Task One_item_is_read_by_its_listed_uri_and_nothing_outside_the_pool_is()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("pool/shard-0.tar", ("a.png", PoolTestFiles.Png(0)), ("b.png", PoolTestFiles.Png(1)));
        string stray = files.WriteTar("elsewhere/shard-0.tar", ("a.png", PoolTestFiles.Png(2)));
        files.Write("images/x/b.png", PoolTestFiles.Png(3));
        string secret = files.Write("secret.png", PoolTestFiles.Png(4));

        var tars = new TarPoolSource(files.PathOf("pool"));
        PoolListing listing = await tars.ListAllAsync(shardSize: 10);
        PoolItemInfo b = listing.Items[1];
        Assert.Equal(PoolTestFiles.Png(1), (await tars.ReadOneAsync(b.Id, b.Uri)).Bytes.ToArray());
        Assert.Equal(PoolItem.OutsideCode, (await tars.ReadOneAsync("a", stray + "#a.png")).ErrorCode);
        Assert.Equal(PoolItem.OutsideCode, (await tars.ReadOneAsync("a", files.PathOf("pool/shard-0.tar"))).ErrorCode);
        Assert.Equal(PoolItem.MissingCode, (await tars.ReadOneAsync("q", files.PathOf("pool/shard-0.tar") + "#q.png")).ErrorCode);

        var directory = new DirectoryPoolSource(files.PathOf("images"));
        PoolItemInfo x = Assert.Single((await directory.ListAllAsync(shardSize: 10)).Items);
        Assert.Equal(PoolTestFiles.Png(3), (await directory.ReadOneAsync(x.Id, x.Uri)).Bytes.ToArray());
        Assert.Equal(PoolItem.OutsideCode, (await directory.ReadOneAsync("s", secret)).ErrorCode);
        Assert.Equal(PoolItem.OutsideCode, (await directory.ReadOneAsync("s", files.PathOf("images/x/../../secret.png"))).ErrorCode);
        Assert.True((await directory.ReadOneAsync("s", secret)).Bytes.IsEmpty);

        // A symbolic link inside the pool that points out of it lies outside (real paths are compared).
        File.CreateSymbolicLink(files.PathOf("images/link.png"), secret);
        PoolItem linked = await directory.ReadOneAsync("l", files.PathOf("images/link.png"));
        Assert.Equal(PoolItem.OutsideCode, linked.ErrorCode);
        Assert.True(linked.Bytes.IsEmpty);
    }

    private static byte[] Garbage(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Like <see cref="PoolTestFiles.WriteTar"/>, with members streamed in (no copy of the payload per entry).</summary>
    private static string WriteTar(PoolTestFiles files, string relative, (string Name, byte[] Bytes)[] members)
    {
        string path = files.PathOf(relative);
        using FileStream stream = File.Create(path);
        using var writer = new TarWriter(stream);
        foreach ((string name, byte[] bytes) in members)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes, writable: false) });
        }

        return path;
    }
}
