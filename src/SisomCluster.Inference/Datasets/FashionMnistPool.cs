using System.Formats.Tar;
using System.Globalization;
using SkiaSharp;

namespace SisomCluster.Inference.Datasets;

/// <summary>
/// A Fashion-MNIST pool laid out the way users bring unlabeled images: WebDataset tar shards of PNGs
/// (<c>shard-00.tar</c>, …; member <c>key.png</c>, pool id <c>shard-00/key</c>). Classes 0–5 are in-distribution
/// (keys <c>id-NNNNN-cK</c>), 6–9 near-OOD (<c>near-NNNNN-cK</c>), noise and flat grey images far-OOD (<c>far-NNNNN</c>);
/// the first <see cref="FashionMnistPoolSpec.Labeled"/> in-distribution items are the labeled set. The ground truth
/// travels with it, so the demo, the benchmarks and the cluster tests compute OOD AUROC against it.
/// </summary>
public sealed class FashionMnistPool
{
    private FashionMnistPool(string directory, IReadOnlyList<FashionMnistPoolItem> items)
    {
        Directory = directory;
        Items = items;
    }

    /// <summary>The folder holding the tar shards (the pool source).</summary>
    public string Directory { get; }

    public IReadOnlyList<FashionMnistPoolItem> Items { get; }

    public IEnumerable<FashionMnistPoolItem> LabeledItems => Items.Where(i => i.Labeled);

    public string TarPath(int index) => Path.Combine(Directory, TarName(index) + ".tar");

    /// <summary>The labels as <c>sisom labels import</c> reads them: <c>id,class</c> lines.</summary>
    public IEnumerable<string> LabelLines() =>
        LabeledItems.Select(i => string.Create(CultureInfo.InvariantCulture, $"{i.Id},{i.Class}"));

    public static FashionMnistPool Write(string directory, FashionMnistPoolSpec spec, string datasetDirectory = FashionMnist.DefaultDirectory)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.InDistribution);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.NearOod);
        ArgumentOutOfRangeException.ThrowIfNegative(spec.FarOod);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spec.Tars);
        if (spec.Labeled > spec.InDistribution)
        {
            throw new ArgumentException($"Labeled ({spec.Labeled}) exceeds the in-distribution items ({spec.InDistribution}).", nameof(spec));
        }

        FashionMnist data = FashionMnist.Load(train: true, directory: datasetDirectory);
        var images = new List<(string Key, FashionMnistPoolItemKind Kind, int? Class, int Index)>();
        int idSeen = 0;
        int nearSeen = 0;
        for (int i = 0; i < data.Count && (idSeen < spec.InDistribution || nearSeen < spec.NearOod); i++)
        {
            int label = data.Labels[i];
            if (label < 6 && idSeen < spec.InDistribution)
            {
                images.Add((Key("id", idSeen++, label), FashionMnistPoolItemKind.InDistribution, label, i));
            }
            else if (label >= 6 && nearSeen < spec.NearOod)
            {
                images.Add((Key("near", nearSeen++, label), FashionMnistPoolItemKind.NearOod, label, i));
            }
        }

        if (idSeen < spec.InDistribution || nearSeen < spec.NearOod)
        {
            throw new ArgumentException($"Fashion-MNIST has only {idSeen} in-distribution and {nearSeen} near-OOD training images.", nameof(spec));
        }

        for (int f = 0; f < spec.FarOod; f++)
        {
            images.Add((string.Create(CultureInfo.InvariantCulture, $"far-{f:D5}"), FashionMnistPoolItemKind.FarOod, null, -1 - f));
        }

        var random = new Random(spec.Seed);
        if (spec.Shuffle)
        {
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(images));
        }

        string pool = System.IO.Directory.CreateDirectory(directory).FullName;
        var items = new List<FashionMnistPoolItem>();
        int labeled = 0;
        int perTar = (images.Count + spec.Tars - 1) / spec.Tars;
        for (int t = 0; t < spec.Tars; t++)
        {
            using FileStream stream = File.Create(Path.Combine(pool, TarName(t) + ".tar"));
            using var writer = new TarWriter(stream);
            foreach ((string key, FashionMnistPoolItemKind kind, int? label, int index) in images.Skip(t * perTar).Take(perTar))
            {
                byte[] png = index >= 0 ? data.EncodePng(index) : FarOod(-1 - index, random);
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, key + ".png") { DataStream = new MemoryStream(png) });
                if (spec.Sidecars)
                {
                    writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, key + ".json") { DataStream = new MemoryStream(Sidecar(kind, spec.Hours, random)) });
                }

                bool isLabeled = kind == FashionMnistPoolItemKind.InDistribution && labeled < spec.Labeled;
                labeled += isLabeled ? 1 : 0;
                items.Add(new FashionMnistPoolItem($"{TarName(t)}/{key}", kind, label, isLabeled));
            }

            for (int c = 0; c < spec.CorruptPerTar; c++)
            {
                // A PNG signature followed by garbage: the decoder must report it, not crash.
                byte[] garbage = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. Enumerable.Range(0, 64).Select(b => (byte)(b * 37))];
                string key = string.Create(CultureInfo.InvariantCulture, $"corrupt-{t:D2}-{c}");
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, key + ".png") { DataStream = new MemoryStream(garbage) });
                items.Add(new FashionMnistPoolItem($"{TarName(t)}/{key}", FashionMnistPoolItemKind.Corrupt, null, false));
            }
        }

        return new FashionMnistPool(pool, items);
    }

    private static readonly DateTimeOffset SidecarStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static byte[] Sidecar(FashionMnistPoolItemKind kind, int hours, Random random)
    {
        int half = Math.Max(1, hours / 2);
        int hour = kind == FashionMnistPoolItemKind.InDistribution ? random.Next(hours) : half + random.Next(Math.Max(1, hours - half));
        string source = kind == FashionMnistPoolItemKind.FarOod ? "crawl-b" : random.Next(4) == 0 ? "crawl-b" : "crawl-a";
        DateTimeOffset at = SidecarStart.AddHours(hour).AddSeconds(random.Next(3600));
        string json = "{\"source\":\"" + source + "\",\"captured_at\":\"" + at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) + "\"}";
        return System.Text.Encoding.UTF8.GetBytes(json);
    }

    private static string TarName(int index) => string.Create(CultureInfo.InvariantCulture, $"shard-{index:D2}");

    private static string Key(string prefix, int n, int label) => string.Create(CultureInfo.InvariantCulture, $"{prefix}-{n:D5}-c{label}");

    /// <summary>Even: uniform noise; odd: a flat grey level.</summary>
    private static byte[] FarOod(int f, Random random)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(FashionMnist.Side, FashionMnist.Side, SKColorType.Gray8, SKAlphaType.Opaque));
        Span<byte> pixels = bitmap.GetPixelSpan();
        for (int p = 0; p < pixels.Length; p++)
        {
            pixels[p] = f % 2 == 0 ? (byte)random.Next(256) : (byte)(f * 5 % 256);
        }

        using SKData png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
