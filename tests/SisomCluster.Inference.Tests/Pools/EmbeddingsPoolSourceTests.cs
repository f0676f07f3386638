using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class EmbeddingsPoolSourceTests
{
    private const int Rows = 10_000;
    private const int Columns = 16;

    [Fact]
    public async Task Float32_rows_are_cut_into_ranges_and_read_back_exactly()
    {
        using var files = new PoolTestFiles();
        float[] values = RandomValues(seed: 1).Select(v => (float)v).ToArray();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(values, Rows, Columns));
        files.WriteText("emb.ids.txt", string.Concat(Enumerable.Range(0, Rows).Select(i => $"item-{i:00000}\n")));
        files.WriteText("ids.txt", "the named ids file wins over this one\n");

        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 4096);

        Assert.Equal([(0L, 4096L), (4096L, 8192L), (8192L, 10_000L)], listing.Shards.Select(s => (s.Embeddings().Start!.Value, s.Embeddings().End!.Value)));
        Assert.Equal([4096, 4096, 1808], listing.Shards.Select(s => s.ItemCount));
        Assert.Equal($"{npy}#9999", listing.Items[^1].Uri);

        // Read through the descriptor's JSON, as a worker gets it.
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        for (int row = 0; row < Rows; row++)
        {
            Assert.Equal($"item-{row:00000}", read[row].Id);
            Assert.Equal(values[(row * Columns)..((row + 1) * Columns)], read[row].Embedding!);
        }
    }

    [Fact]
    public async Task Float64_rows_are_read_as_float32_with_ids_txt_beside_them()
    {
        using var files = new PoolTestFiles();
        double[] values = RandomValues(seed: 2);
        string npy = files.PathOf("vectors.npy");
        NpyFile.Write(npy, new NpyArray(values, Rows, Columns));
        // CRLF and no final line end: ids files come from everywhere.
        files.WriteText("ids.txt", string.Join("\r\n", Enumerable.Range(0, Rows).Select(i => $"id/{i}")));

        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 4096);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);

        Assert.Equal(3, listing.Shards.Count);
        Assert.Equal("id/9999", read[^1].Id);
        for (int row = 0; row < Rows; row += 97)
        {
            Assert.Equal(values.Skip(row * Columns).Take(Columns).Select(v => (float)v), read[row].Embedding!);
        }
    }

    [Fact]
    public async Task Ids_count_must_match_the_rows()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(new float[Rows * Columns], Rows, Columns));
        files.WriteText("ids.txt", string.Concat(Enumerable.Range(0, Rows - 1).Select(i => $"{i}\n")));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new EmbeddingsPoolSource(npy).ListAllAsync(shardSize: 4096));

        Assert.Contains("has 9999 ids", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 10000 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_ids_are_reported_and_their_rows_skipped()
    {
        using var files = new PoolTestFiles();
        float[] values = Enumerable.Range(0, 6 * 2).Select(i => (float)i).ToArray();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(values, 6, 2));
        files.WriteText("ids.txt", "a\nb\nc\na\nd\nb\n");

        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 3);

        Assert.Equal(["a", "b", "c", "d"], listing.Items.Select(i => i.Id));
        Assert.Equal([new PoolDuplicate("a", "ids.txt line 4 (first at line 1)"), new PoolDuplicate("b", "ids.txt line 6 (first at line 2)")], listing.Duplicates);
        Assert.Equal([3, 1], listing.Shards.Select(s => s.ItemCount));

        // A shard's items are made when asked for (the indexer and the enumerator agree); the uri names the item's own row.
        Assert.Equal(new PoolItemInfo("d", $"{npy}#4"), listing.Shards[1].Items[0]);
        Assert.Equal([new PoolItemInfo("a", $"{npy}#0"), new PoolItemInfo("b", $"{npy}#1"), new PoolItemInfo("c", $"{npy}#2")], listing.Shards[0].Items);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal([8f, 9f], read[3].Embedding!);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Blocks_hold_the_rows_items_would_in_order_duplicates_skipped(int maxRows)
    {
        using var files = new PoolTestFiles();
        float[] values = Enumerable.Range(0, 6 * 2).Select(i => (float)i).ToArray();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(values, 6, 2));
        files.WriteText("ids.txt", "a\nb\nc\na\nd\nb\n");
        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 6);

        List<EmbeddingBlock> blocks = await source.ReadBlocksAsync(listing.Shards[0].Descriptor, maxRows).ToListAsync();

        Assert.All(blocks, b => Assert.InRange(b.Count, 1, maxRows));
        Assert.All(blocks, b => Assert.Equal(b.Count * 2, b.Features.Length));
        Assert.Equal(["a", "b", "c", "d"], blocks.SelectMany(b => b.Ids));
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f, 8f, 9f], blocks.SelectMany(b => b.Features));
    }

    [Fact]
    public async Task Blocks_of_a_file_truncated_since_the_listing_are_refused()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(new double[Rows * Columns], Rows, Columns));
        files.WriteText("ids.txt", string.Concat(Enumerable.Range(0, Rows).Select(i => $"{i}\n")));
        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 4096);
        using (var stream = new FileStream(npy, FileMode.Open))
        {
            stream.SetLength(stream.Length - 100);
        }

        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await source.ReadBlocksAsync(listing.Shards[^1].Descriptor, 1000).ToListAsync());

        // The header's own check (as for items): the file must hold all N×D values.
        Assert.Contains("emb.npy", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocks_of_a_file_cut_short_while_it_is_read_stop_with_the_reason()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(new float[Rows * Columns], Rows, Columns));
        files.WriteText("ids.txt", string.Concat(Enumerable.Range(0, Rows).Select(i => $"{i}\n")));
        var source = new EmbeddingsPoolSource(npy);
        PoolListing listing = await source.ListAllAsync(shardSize: 4096);

        // The first block is read; then the file loses its last rows (another writer), before the shard's later blocks.
        IAsyncEnumerator<EmbeddingBlock> blocks = source.ReadBlocksAsync(listing.Shards[0].Descriptor, 1000).GetAsyncEnumerator();
        Assert.True(await blocks.MoveNextAsync());
        using (var stream = new FileStream(npy, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.SetLength(stream.Length - ((Rows - 2000) * Columns * sizeof(float)));
        }

        Assert.True(await blocks.MoveNextAsync());
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () => await blocks.MoveNextAsync());
        await blocks.DisposeAsync();

        Assert.Contains("emb.npy ends at byte", error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated since the pool was listed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_one_dimensional_array_is_refused_with_a_clear_message()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(new float[4], 4));
        files.WriteText("ids.txt", "a\nb\nc\nd\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new EmbeddingsPoolSource(npy).ListAllAsync(shardSize: 2));

        Assert.Contains("2-D", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_ids_file_names_both_places_looked_at()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("emb.npy");
        NpyFile.Write(npy, new NpyArray(new float[4], 2, 2));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => new EmbeddingsPoolSource(npy).ListAllAsync(shardSize: 2));

        Assert.Contains("emb.ids.txt", error.Message, StringComparison.Ordinal);
        Assert.Contains("ids.txt", error.Message, StringComparison.Ordinal);
    }

    private static double[] RandomValues(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Rows * Columns).Select(_ => (random.NextDouble() * 20) - 10).ToArray();
    }
}
