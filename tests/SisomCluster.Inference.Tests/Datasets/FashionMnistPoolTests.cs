using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Tests.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Datasets;

public sealed class FashionMnistPoolTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-fmpool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_written_tars_hold_exactly_the_items_with_their_ground_truth()
    {
        FashionMnistPool pool = FashionMnistPool.Write(
            Path.Combine(_directory, "pool"),
            new FashionMnistPoolSpec { InDistribution = 30, NearOod = 12, FarOod = 4, Labeled = 10, Tars = 3, CorruptPerTar = 1, Shuffle = true });

        Assert.Equal(30 + 12 + 4 + 3, pool.Items.Count);
        Assert.Equal(10, pool.LabeledItems.Count());
        Assert.All(pool.LabeledItems, i => Assert.Equal(FashionMnistPoolItemKind.InDistribution, i.Kind));
        Assert.All(pool.Items.Where(i => i.Kind == FashionMnistPoolItemKind.InDistribution), i => Assert.InRange(i.Class!.Value, 0, 5));
        Assert.All(pool.Items.Where(i => i.Kind == FashionMnistPoolItemKind.NearOod), i => Assert.InRange(i.Class!.Value, 6, 9));
        Assert.All(pool.LabelLines(), l => Assert.Matches(@"^shard-\d\d/id-\d{5}-c[0-5],[0-5]$", l));

        // The tar pool source lists the same ids (corrupt members included: they become per-item errors when read).
        IPoolSource source = PoolSources.Open(TarPoolSource.KindName, pool.Directory);
        PoolListing listing = await source.ListAllAsync(4096);
        Assert.Equal(pool.Items.Select(i => i.Id).Order(StringComparer.Ordinal), listing.Items.Select(i => i.Id).Order(StringComparer.Ordinal));
        Assert.Equal(3, listing.Shards.Count);
        Assert.True(File.Exists(pool.TarPath(2)));

        // Shuffled: the first tar mixes kinds instead of holding in-distribution images only.
        Assert.True(pool.Items.Where(i => i.Id.StartsWith("shard-00/", StringComparison.Ordinal)).Select(i => i.Kind).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Sidecars_give_sources_and_capture_times_that_drift()
    {
        FashionMnistPool pool = FashionMnistPool.Write(
            Path.Combine(_directory, "pool"),
            new FashionMnistPoolSpec { InDistribution = 40, NearOod = 20, FarOod = 10, Labeled = 10, Tars = 2, Sidecars = true, Hours = 12 });
        PoolListing listing = await PoolSources.Open(TarPoolSource.KindName, pool.Directory).ListAllAsync(4096);
        Dictionary<string, FashionMnistPoolItem> truth = pool.Items.ToDictionary(i => i.Id);

        Assert.All(listing.Items, i => Assert.NotNull(i.CapturedAt));
        Assert.All(listing.Items.Where(i => truth[i.Id].IsOod), i => Assert.True(i.CapturedAt!.Value.Hour >= 6));
        Assert.All(listing.Items.Where(i => truth[i.Id].Kind == FashionMnistPoolItemKind.FarOod), i => Assert.Equal("crawl-b", i.Source));
        Assert.Contains(listing.Items, i => i.Source == "crawl-a");
    }

    [Fact]
    public async Task More_labels_than_in_distribution_items_is_an_error()
    {
        Assert.Throws<ArgumentException>(() => FashionMnistPool.Write(_directory, new FashionMnistPoolSpec { InDistribution = 5, Labeled = 6 }));
    }
}
