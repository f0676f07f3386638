using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>
/// <see cref="IPoolSource.ItemIdsAsync"/>: the ids a shard's read would yield, in order, told without reading the items
/// (what a worker re-scoring stored embeddings asks before it decides whether to read the shard at all).
/// </summary>
public sealed class ItemIdsTests
{
    [Fact]
    public async Task A_tar_shard_tells_the_ids_its_read_yields_from_its_headers()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("pool/shard-000.tar", ("000000.png", PoolTestFiles.Png(0)), ("000001.png", PoolTestFiles.Png(1)), ("000001.jpg", PoolTestFiles.Png(2)), ("000002.png", PoolTestFiles.Png(3)));
        files.WriteTar("pool/shard-001.tar", ("a.png", PoolTestFiles.Png(4)), ("a.txt", "caption"u8.ToArray()), ("c.png", PoolTestFiles.Png(5)));
        IPoolSource source = new TarPoolSource(files.PathOf("pool"));
        PoolListing listing = await source.ListAllAsync(shardSize: 100);

        foreach (ListedShard shard in listing.Shards)
        {
            IReadOnlyList<string>? ids = await source.ItemIdsAsync(shard.Descriptor);
            Assert.NotNull(ids);
            Assert.Equal((await source.ReadAllAsync(shard)).Select(i => i.Id), ids);
        }

        Assert.Equal(["shard-001/a", "shard-001/c"], await source.ItemIdsAsync(listing.Shards[1].Descriptor));
    }

    [Fact]
    public async Task A_directory_shard_tells_its_listed_ids()
    {
        using var files = new PoolTestFiles();
        for (int i = 0; i < 5; i++)
        {
            files.Write($"pool/img-{i}.png", PoolTestFiles.Png(i));
        }

        IPoolSource directory = new DirectoryPoolSource(files.PathOf("pool"));
        PoolListing listing = await directory.ListAllAsync(shardSize: 3);
        Assert.Equal(2, listing.Shards.Count);
        foreach (ListedShard shard in listing.Shards)
        {
            Assert.Equal((await directory.ReadAllAsync(shard)).Select(i => i.Id), await directory.ItemIdsAsync(shard.Descriptor));
        }
    }

    [Fact]
    public async Task An_embeddings_shard_tells_its_ids_from_the_ids_file_without_the_npy_and_skips_duplicates()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        Npy.NpyFile.Write(npy, new Npy.NpyArray(Enumerable.Range(0, 14).Select(i => (float)i).ToArray(), 7, 2));
        files.WriteText("emb.ids.txt", "r0\nr1\nr0\nr3\nr4\nr5\nr6\n");
        IPoolSource embeddings = new EmbeddingsPoolSource(npy);
        PoolListing rows = await embeddings.ListAllAsync(shardSize: 3);
        Assert.Equal(3, rows.Shards.Count);
        foreach (ListedShard shard in rows.Shards)
        {
            Assert.Equal((await embeddings.ReadAllAsync(shard)).Select(i => i.Id), await embeddings.ItemIdsAsync(shard.Descriptor));
        }

        Assert.Equal(["r0", "r1"], await embeddings.ItemIdsAsync(rows.Shards[0].Descriptor));
        IReadOnlyList<string>? second = await embeddings.ItemIdsAsync(rows.Shards[1].Descriptor);

        Assert.Equal(["r3", "r4", "r5"], second);

        // A descriptor naming another ids file is refused, as a read of it is.
        string forged = rows.Shards[2].Descriptor.Replace("emb.ids.txt", "other.ids.txt", StringComparison.Ordinal);
        files.WriteText("other.ids.txt", "x\ny\nz\n");
        await Assert.ThrowsAsync<InvalidDataException>(() => embeddings.ItemIdsAsync(forged));
    }
}
