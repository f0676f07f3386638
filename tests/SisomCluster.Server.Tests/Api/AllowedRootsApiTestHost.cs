using System.Buffers.Binary;
using System.Formats.Tar;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// An <see cref="ApiTestHost"/> with <c>Pools:AllowedRoots</c> set to <see cref="Allowed"/> (so the base seed's pool,
/// registered outside it, is now outside), <c>Models:Directory</c>, and two thumbnail slots. Seeds under the root: a
/// directory pool with a symbolic link out, a tar whose earlier members are corrupt images, an image whose header
/// announces more pixels than the workers accept; a model folder with one model and a link out.
/// </summary>
public sealed class AllowedRootsApiTestHost : ApiTestHost
{
    public const string DirectoryPool = "rooted";

    public const string TarPool = "tars";

    public const string ModelName = "tiny";

    public const int ThumbnailSlots = 2;

    /// <summary>Width × height the oversized image's header announces: 1.08 × 10⁸, over the 10⁸ the workers accept.</summary>
    public const int HugeWidth = 12_000;

    public const int HugeHeight = 9_000;

    public string Allowed => Path.Combine(Directory, "allowed");

    public string Models => Path.Combine(Directory, "models");

    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("Pools:AllowedRoots:0", Allowed),
        ("Models:Directory", Models),
        ("Api:MaxConcurrentThumbnails", ThumbnailSlots.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    protected override async Task SeedMoreAsync()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        string pool = System.IO.Directory.CreateDirectory(Path.Combine(Allowed, "pool")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(pool, "a.png"), data.EncodePng(0));
        await File.WriteAllBytesAsync(Path.Combine(pool, "b.png"), data.EncodePng(1));
        await File.WriteAllBytesAsync(Path.Combine(pool, "huge.png"), Oversized(data.EncodePng(2), HugeWidth, HugeHeight));
        File.CreateSymbolicLink(Path.Combine(pool, "escape.png"), Path.Combine(Directory, "secret.png"));

        // A folder link inside the root that points out of it (registration must refuse it by its real path).
        System.IO.Directory.CreateSymbolicLink(Path.Combine(Allowed, "link-out"), Path.Combine(Directory, "pool"));

        string tars = System.IO.Directory.CreateDirectory(Path.Combine(Allowed, "tars")).FullName;
        await using (FileStream stream = File.Create(Path.Combine(tars, "shard.tar")))
        {
            await using var writer = new TarWriter(stream, TarEntryFormat.Pax);
            byte[] junk = [.. Enumerable.Range(0, 5000).Select(i => (byte)(i * 31))];
            foreach ((string name, byte[] bytes) in new[] { ("000.png", junk), ("001.jpg", junk), ("002.png", data.EncodePng(0)[..40]), ("003.png", data.EncodePng(1)) })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(bytes) };
                await writer.WriteEntryAsync(entry);
            }
        }

        System.IO.Directory.CreateDirectory(Models);
        await File.WriteAllBytesAsync(Path.Combine(Models, ModelName + ".onnx"), [1, 2, 3]);
        await File.WriteAllBytesAsync(Path.Combine(Directory, "elsewhere.onnx"), [1, 2, 3]);
        File.CreateSymbolicLink(Path.Combine(Models, "escape.onnx"), Path.Combine(Directory, "elsewhere.onnx"));

        // Registered as the API would (listing under the roots), so that the items rows are what a registration leaves.
        await RegisterAsync(DirectoryPool, pool);
        await RegisterAsync(TarPool, tars);
    }

    /// <summary>A PNG whose IHDR announces <paramref name="width"/> × <paramref name="height"/> (CRC fixed) over the pixel data of a small one.</summary>
    public static byte[] Oversized(byte[] png, int width, int height)
    {
        byte[] bytes = (byte[])png.Clone();

        // Signature (8), IHDR length (4) and type (4), then width and height; the CRC covers type and data (17 bytes).
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32(bytes.AsSpan(12, 17)));
        return bytes;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    private async Task RegisterAsync(string name, string source)
    {
        IPoolSource opened = PoolSources.Open(source, new PoolRoots([Allowed]));
        PoolListing listing = await PoolListing.CollectAsync(opened.ListAsync(shardSize: 100));
        var id = Guid.NewGuid();
        await using (SisomDbContext db = Database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = id, Name = name, SourceKind = opened.Kind, SourceUri = opened.Uri, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(Database.DataSource).AddItemsAsync(id, listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)));
    }
}
