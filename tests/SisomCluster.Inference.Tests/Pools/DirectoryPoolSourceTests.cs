using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class DirectoryPoolSourceTests
{
    [Fact]
    public async Task Lists_images_recursively_in_ordinal_path_order_with_the_first_folder_as_source()
    {
        using var files = new PoolTestFiles();
        files.Write("pool/b.png", PoolTestFiles.Png(0));
        files.Write("pool/a/y.jpg", PoolTestFiles.Png(1));
        files.Write("pool/A/x.png", PoolTestFiles.Png(2));
        files.Write("pool/sub/deep/w.webp", PoolTestFiles.Png(3));
        files.WriteText("pool/a/notes.txt", "not an image");

        PoolListing listing = await new DirectoryPoolSource(files.PathOf("pool")).ListAllAsync(shardSize: 100);

        Assert.Equal(["A/x.png", "a/y.jpg", "b.png", "sub/deep/w.webp"], listing.Items.Select(i => i.Id));
        Assert.Equal(["A", "a", null, "sub"], listing.Items.Select(i => i.Source));
        Assert.Equal(files.PathOf("pool/sub/deep/w.webp"), listing.Items[3].Uri);
        Assert.All(listing.Items, i => Assert.Null(i.CapturedAt));
        Assert.Empty(listing.Duplicates);
    }

    [Fact]
    public async Task Shards_of_the_requested_size_read_back_exactly_their_files()
    {
        using var files = new PoolTestFiles();
        for (int i = 0; i < 10; i++)
        {
            files.Write($"pool/img-{i:00}.png", PoolTestFiles.Png(i));
        }

        var source = new DirectoryPoolSource(files.PathOf("pool"));
        PoolListing listing = await source.ListAllAsync(shardSize: 4);

        Assert.Equal([4, 4, 2], listing.Shards.Select(s => s.ItemCount));
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal($"img-{i:00}.png", read[i].Id);
            Assert.Equal(PoolTestFiles.Png(i), read[i].Bytes.ToArray());
            Assert.Null(read[i].Error);
        }

        // Listing twice gives the same shards: the coordinator may re-list after a restart.
        Assert.Equal(listing.Shards.Select(s => s.Descriptor), (await source.ListAllAsync(shardSize: 4)).Shards.Select(s => s.Descriptor));
    }

    [Fact]
    public async Task A_file_deleted_after_listing_reads_as_a_missing_item()
    {
        using var files = new PoolTestFiles();
        files.Write("pool/a.png", PoolTestFiles.Png(0));
        string gone = files.Write("pool/b.png", PoolTestFiles.Png(1));
        var source = new DirectoryPoolSource(files.PathOf("pool"));
        PoolListing listing = await source.ListAllAsync(shardSize: 10);
        File.Delete(gone);

        List<PoolItem> read = await source.ReadAllAsync(listing.Shards[0]);

        Assert.Null(read[0].Error);
        Assert.Equal("b.png", read[1].Id);
        Assert.Equal(PoolItem.MissingCode, read[1].ErrorCode);
        Assert.Contains(gone, read[1].Error, StringComparison.Ordinal);
        Assert.True(read[1].Bytes.IsEmpty);
    }

    [Fact]
    public async Task A_shard_of_another_kind_is_refused()
    {
        using var files = new PoolTestFiles();
        var shard = new ListedShard(0, 1, new TarShard { Kind = TarPoolSource.KindName, Index = 0, ItemCount = 1, FilePath = "x.tar" }.ToJson(), [], []);

        await Assert.ThrowsAsync<ArgumentException>(() => new DirectoryPoolSource(files.Root).ReadAllAsync(shard));
    }
}
