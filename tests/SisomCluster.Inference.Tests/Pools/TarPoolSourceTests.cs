using System.Text;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class TarPoolSourceTests
{
    [Fact]
    public async Task A_folder_of_tars_is_one_shard_per_tar_with_ids_prefixed_by_the_tar_name()
    {
        using var files = new PoolTestFiles();
        // WebDataset writers restart keys in every shard: the same keys in both tars are different items.
        for (int t = 0; t < 2; t++)
        {
            files.WriteTar($"pool/shard-{t:000}.tar",
                [.. Enumerable.Range(0, 3).SelectMany(k => new[] { ($"{k:000000}.png", PoolTestFiles.Png((t * 3) + k)), ($"{k:000000}.txt", "caption"u8.ToArray()) })]);
        }

        files.WriteText("pool/README.md", "not a tar");

        var source = new TarPoolSource(files.PathOf("pool"));
        PoolListing listing = await source.ListAllAsync(shardSize: 2);

        Assert.Equal(
            ["shard-000/000000", "shard-000/000001", "shard-000/000002", "shard-001/000000", "shard-001/000001", "shard-001/000002"],
            listing.Items.Select(i => i.Id));
        Assert.Equal($"{files.PathOf("pool/shard-001.tar")}#000002.png", listing.Items[5].Uri);
        Assert.Equal([files.PathOf("pool/shard-000.tar"), files.PathOf("pool/shard-001.tar")], listing.Shards.Select(s => s.Tar().FilePath));
        Assert.Equal([3, 3], listing.Shards.Select(s => s.ItemCount));
        Assert.Empty(listing.Duplicates);

        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal(Enumerable.Range(0, 6).Select(PoolTestFiles.Png), read.Select(i => i.Bytes.ToArray()));
    }

    [Fact]
    public async Task Json_sidecars_give_source_and_capture_time_before_or_after_the_image()
    {
        using var files = new PoolTestFiles();
        string tar = files.WriteTar("one.tar",
            ("s/a.json", Encoding.UTF8.GetBytes("""{"source": "crawl-7", "captured_at": "2024-03-04T05:06:07Z", "caption": "x"}""")),
            ("s/a.png", PoolTestFiles.Png(0)),
            ("s/b.jpg", PoolTestFiles.Png(1)),
            ("s/b.json", Encoding.UTF8.GetBytes("""{"timestamp": 1700000000}""")),
            ("s/c.png", PoolTestFiles.Png(2)),
            ("s/c.json", "not json"u8.ToArray()));

        var warnings = new List<string>();
        var source = new TarPoolSource(tar);
        PoolListing listing = await source.ListAllAsync(shardSize: 100, warnings.Add);

        Assert.Equal(["one/s/a", "one/s/b", "one/s/c"], listing.Items.Select(i => i.Id));
        Assert.Equal(["crawl-7", null, null], listing.Items.Select(i => i.Source));
        Assert.Equal(
            [new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), null],
            listing.Items.Select(i => i.CapturedAt));
        Assert.Contains(warnings, w => w.Contains("one.tar: s/c.json: sidecar is not JSON", StringComparison.Ordinal));

        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal(listing.Items.Select(i => i.Source), read.Select(i => i.Source));
        Assert.Equal(listing.Items.Select(i => i.CapturedAt), read.Select(i => i.CapturedAt));
        Assert.Equal(PoolTestFiles.Png(1), read[1].Bytes.ToArray());
    }

    [Fact]
    public async Task A_key_twice_in_a_tar_is_reported_and_read_once()
    {
        using var files = new PoolTestFiles();
        string tar = files.WriteTar("dup.tar",
            ("k.png", PoolTestFiles.Png(0)),
            ("k.jpg", PoolTestFiles.Png(1)),
            ("m.png", PoolTestFiles.Png(2)),
            ("k.png", PoolTestFiles.Png(3)));

        var source = new TarPoolSource(tar);
        PoolListing listing = await source.ListAllAsync(shardSize: 100);

        Assert.Equal(["dup/k", "dup/m"], listing.Items.Select(i => i.Id));
        Assert.Equal([new PoolDuplicate("dup/k", "dup.tar: k.jpg"), new PoolDuplicate("dup/k", "dup.tar: k.png")], listing.Duplicates);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal(PoolTestFiles.Png(0), read[0].Bytes.ToArray());
    }

    [Fact]
    public async Task A_pattern_selects_only_the_matching_tars()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("pool/shard-1.tar", ("a.png", PoolTestFiles.Png(0)));
        files.WriteTar("pool/shard-0.tar", ("a.png", PoolTestFiles.Png(1)));
        files.WriteTar("pool/other.tar", ("a.png", PoolTestFiles.Png(2)));
        files.WriteText("pool/shard-2.tar.part", "partial upload");

        var source = new TarPoolSource(Path.Combine(files.PathOf("pool"), "shard-*.tar"));
        PoolListing listing = await source.ListAllAsync(shardSize: 1);

        Assert.Equal(["shard-0/a", "shard-1/a"], listing.Items.Select(i => i.Id));
        Assert.Equal([PoolTestFiles.Png(1), PoolTestFiles.Png(0)], (await PoolTestFiles.ReadAllAsync(source, listing)).Select(i => i.Bytes.ToArray()));
        await Assert.ThrowsAsync<FileNotFoundException>(() => new TarPoolSource(Path.Combine(files.PathOf("pool"), "none-*.tar")).ListAllAsync(shardSize: 1));
    }

    [Fact]
    public async Task A_tar_gone_since_listing_fails_the_shard_not_an_item()
    {
        using var files = new PoolTestFiles();
        string tar = files.WriteTar("gone.tar", ("a.png", PoolTestFiles.Png(0)));
        var source = new TarPoolSource(tar);
        PoolListing listing = await source.ListAllAsync(shardSize: 1);
        File.Delete(tar);

        // Without the tar there are no ids to attach errors to: the shard is retried, then marked failed.
        await Assert.ThrowsAsync<FileNotFoundException>(() => source.ReadAllAsync(listing.Shards[0]));
    }
}
