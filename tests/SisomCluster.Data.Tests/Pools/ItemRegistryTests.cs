using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Pools;

public sealed class ItemRegistryTests : IClassFixture<DatabaseFixture>
{
    private readonly DatabaseFixture _fixture;
    private readonly ItemRegistry _registry;

    public ItemRegistryTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _registry = new ItemRegistry(fixture.DataSource);
    }

    [Fact]
    public async Task Adds_items_with_their_metadata_and_counts_them_on_the_pool()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        var captured = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2));

        ItemAddResult result = await _registry.AddItemsAsync(poolId,
        [
            new ItemRow("a/1.jpg", "s3://bucket/a/1.jpg", "site-a", captured),
            new ItemRow("a/2.jpg"),
        ]);

        Assert.Equal(new ItemAddResult(2, 0), result);
        await using SisomDbContext db = _fixture.CreateDbContext();
        Item first = await db.Items.SingleAsync(i => i.PoolId == poolId && i.ItemId == "a/1.jpg");
        Assert.Equal("s3://bucket/a/1.jpg", first.Uri);
        Assert.Equal("site-a", first.Source);
        Assert.Equal(captured, first.CapturedAt);
        Item second = await db.Items.SingleAsync(i => i.PoolId == poolId && i.ItemId == "a/2.jpg");
        Assert.Null(second.Uri);
        Assert.Null(second.CapturedAt);
        Assert.Equal(2, (await db.Pools.SingleAsync(p => p.Id == poolId)).ItemCount);
    }

    [Fact]
    public async Task Reports_duplicates_of_stored_items_and_within_one_call()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        await _registry.AddItemsAsync(poolId, Enumerable.Range(0, 100).Select(i => new ItemRow($"img/{i}.png")));

        // 50..149: 50 already stored; 140..149 listed twice.
        IEnumerable<ItemRow> relisting = Enumerable.Range(50, 100).Concat(Enumerable.Range(140, 10)).Select(i => new ItemRow($"img/{i}.png"));
        ItemAddResult result = await _registry.AddItemsAsync(poolId, relisting);

        Assert.Equal(new ItemAddResult(50, 60), result);
        Assert.Equal(150, await _fixture.CountAsync("SELECT count(*) FROM items WHERE pool_id = $1", poolId));
        Assert.Equal(150, await _fixture.CountAsync("SELECT item_count FROM pools WHERE id = $1", poolId));
    }

    [Fact]
    public async Task A_listing_longer_than_a_chunk_is_added_in_chunks_with_duplicates_across_chunks_counted_once()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);

        // Exactly two full chunks, then a third chunk that repeats the first ten ids (met in the first chunk).
        int n = ItemRegistry.ChunkRows * 2;
        IEnumerable<ItemRow> listing = Enumerable.Range(0, n).Concat(Enumerable.Range(0, 10)).Select(i => new ItemRow($"e{i:D7}"));
        ItemAddResult result = await _registry.AddItemsAsync(poolId, listing);

        Assert.Equal(new ItemAddResult(n, 10), result);
        Assert.Equal(n, await _fixture.CountAsync("SELECT count(*) FROM items WHERE pool_id = $1", poolId));
        Assert.Equal(n, await _fixture.CountAsync("SELECT item_count FROM pools WHERE id = $1", poolId));

        // A listing of exactly one full chunk ends cleanly too.
        Guid second = await Seed.PoolAsync(_fixture);
        Assert.Equal(new ItemAddResult(ItemRegistry.ChunkRows, 0), await _registry.AddItemsAsync(second, Enumerable.Range(0, ItemRegistry.ChunkRows).Select(i => new ItemRow($"x{i}"))));
    }

    [Fact]
    public async Task The_same_ids_in_another_pool_are_not_duplicates()
    {
        Guid first = await Seed.PoolAsync(_fixture, ["x.jpg", "y.jpg"]);
        Guid second = await Seed.PoolAsync(_fixture);

        Assert.Equal(new ItemAddResult(2, 0), await _registry.AddItemsAsync(second, [new ItemRow("x.jpg"), new ItemRow("y.jpg")]));
        Assert.Equal(2, await _fixture.CountAsync("SELECT count(*) FROM items WHERE pool_id = $1", first));
    }

    [Fact]
    public async Task An_unknown_pool_is_an_error()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _registry.AddItemsAsync(Guid.NewGuid(), [new ItemRow("a")]));
    }
}
