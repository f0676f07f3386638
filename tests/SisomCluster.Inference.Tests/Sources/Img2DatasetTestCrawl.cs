using System.Globalization;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Pools;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>A small img2dataset crawl of Fashion-MNIST PNGs: keys <c>SSSSSIIII</c>, every fourth url failed to download.</summary>
internal static class Img2DatasetTestCrawl
{
    public static IReadOnlyList<IReadOnlyList<Img2DatasetSample>> Shards(int shards, int perShard) =>
        [.. Enumerable.Range(0, shards).Select(s => (IReadOnlyList<Img2DatasetSample>)[.. Enumerable.Range(0, perShard).Select(i => Sample(s, i))])];

    public static Img2DatasetSample Sample(int shard, int index)
    {
        bool failed = index % 4 == 3;
        return new Img2DatasetSample
        {
            Key = Key(shard, index),
            Url = $"https://{(index % 2 == 0 ? "images.example.org" : "cdn.example.net")}/{shard}/{index}.png",
            Status = failed ? "failed_to_download" : "success",
            ErrorMessage = failed ? "HTTP Error 404: Not Found" : null,
            Image = failed ? ReadOnlyMemory<byte>.Empty : PoolTestFiles.Png((shard * 16) + index),
            Extension = ".png",
            Caption = $"item {index} of shard {shard}",
            Width = 28,
            Height = 28,
            CapturedAt = new DateTimeOffset(2026, 1, 1 + shard, index % 24, 0, 0, TimeSpan.Zero),
        };
    }

    public static string Key(int shard, int index) => string.Create(CultureInfo.InvariantCulture, $"{shard:D5}{index:D4}");

    /// <summary>The keys that were downloaded (status success), in order.</summary>
    public static IEnumerable<string> Downloaded(int shards, int perShard) =>
        Enumerable.Range(0, shards).SelectMany(s => Enumerable.Range(0, perShard).Where(i => i % 4 != 3).Select(i => Key(s, i)));
}
