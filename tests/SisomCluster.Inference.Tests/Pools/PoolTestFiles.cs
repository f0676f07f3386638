using System.Formats.Tar;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>Real files for pool tests: a temporary folder, Fashion-MNIST PNGs, WebDataset tars, and the listing invariants every source must keep.</summary>
internal sealed class PoolTestFiles : IDisposable
{
    private static readonly Lazy<FashionMnist> Images = new(() => FashionMnist.Load(train: true, limit: 64));

    public PoolTestFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), $"sisom-pools-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Fashion-MNIST training image <paramref name="index"/> as PNG bytes (distinct images, so swapped bytes show).</summary>
    public static byte[] Png(int index) => Images.Value.EncodePng(index);

    public string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="relative"/> (folders created) and returns the full path.</summary>
    public string Write(string relative, byte[] bytes)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string WriteText(string relative, string text) => Write(relative, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A tar of the given members, in the given order (WebDataset writers keep a sample's members together).</summary>
    public string WriteTar(string relative, params (string Name, byte[] Bytes)[] members)
    {
        string path = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using FileStream stream = File.Create(path);
        using var writer = new TarWriter(stream);
        foreach ((string name, byte[] bytes) in members)
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) });
        }

        return path;
    }

    /// <summary>
    /// Reads every shard and checks what all sources promise: each shard yields its item count; the
    /// shards together yield every listed item once, in listing order; no id twice. Returns the items read.
    /// </summary>
    public static async Task<List<PoolItem>> ReadAllAsync(IPoolSource source, PoolListing listing)
    {
        var read = new List<PoolItem>();
        foreach (ListedShard shard in listing.Shards)
        {
            List<PoolItem> items = await source.ReadAllAsync(shard);
            Assert.Equal(shard.ItemCount, items.Count);
            Assert.Equal(shard.Items.Select(i => i.Id), items.Select(i => i.Id));
            if (PoolSources.ListedItemIds(shard.Descriptor) is { } listed)
            {
                Assert.Equal(listed, items.Select(i => i.Id));
            }

            read.AddRange(items);
        }

        Assert.Equal(listing.Items.Select(i => i.Id), read.Select(i => i.Id));
        Assert.Equal(read.Count, read.Select(i => i.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(Enumerable.Range(0, listing.Shards.Count), listing.Shards.Select(s => s.Index));
        return read;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder must not fail the test that made it.
        }
    }
}
