using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>Each kind's own shard descriptor, and the stored format (version 1) that runs in flight hold.</summary>
public sealed class ShardDescriptorTests
{
    [Fact]
    public void Each_kind_round_trips_its_own_fields()
    {
        var manifest = new FileListShard
        {
            Kind = ManifestPoolSource.KindName,
            Index = 3,
            ItemCount = 2,
            Items = [new PoolItemInfo("a", "/p/a.png", "crawl", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))), new PoolItemInfo("b", "/p/b.png")],
        };
        FileListShard manifestBack = ShardDescription.Parse<FileListShard>(manifest.ToJson(), "manifest");
        Assert.Equal(manifest.Items, manifestBack.Items);
        Assert.Equal(manifest.ToJson(), manifestBack.ToJson());

        var embeddings = new EmbeddingsShard
        {
            Kind = EmbeddingsPoolSource.KindName,
            Index = 1,
            ItemCount = 4095,
            FilePath = "/e/emb.npy",
            IdsPath = "/e/ids.txt",
            IdsOffset = 123_456,
            Start = 4096,
            End = 8192,
            SkippedRows = [5000],
        };
        EmbeddingsShard embeddingsBack = ShardDescription.Parse<EmbeddingsShard>(embeddings.ToJson(), "embeddings");
        Assert.Equal(embeddings.SkippedRows, embeddingsBack.SkippedRows);
        Assert.Equal(embeddings with { SkippedRows = embeddingsBack.SkippedRows }, embeddingsBack);
    }

    [Fact]
    public void Json_is_the_stored_version_1_format_snake_case_with_no_nulls()
    {
        string json = new EmbeddingsShard
        {
            Kind = EmbeddingsPoolSource.KindName,
            Index = 0,
            ItemCount = 1,
            FilePath = "e.npy",
            IdsPath = "ids.txt",
            IdsOffset = 0,
            Start = 0,
            End = 1,
        }.ToJson();

        Assert.Equal("""{"version":1,"kind":"embeddings","index":0,"item_count":1,"file_path":"e.npy","ids_path":"ids.txt","ids_offset":0,"start":0,"end":1}""", json);
        Assert.Equal("""{"version":1,"kind":"tar","index":2,"item_count":5,"file_path":"/p/a.tar"}""", new TarShard { Kind = "tar", Index = 2, ItemCount = 5, FilePath = "/p/a.tar" }.ToJson());
    }

    [Fact]
    public async Task A_descriptor_stored_by_the_previous_build_is_still_read()
    {
        // Written by the flat ShardDescriptor of the earlier build, as a running run's shards rows hold it.
        using var files = new PoolTestFiles();
        string tar = files.WriteTar("old.tar", ("a.png", PoolTestFiles.Png(0)));
        string image = files.Write("img/b.png", PoolTestFiles.Png(1));
        string tarJson = $$"""{"version":1,"kind":"tar","index":0,"item_count":1,"file_path":{{System.Text.Json.JsonSerializer.Serialize(tar)}}}""";
        string dirJson = $$"""{"version":1,"kind":"directory","index":0,"item_count":1,"items":[{"id":"b.png","uri":{{System.Text.Json.JsonSerializer.Serialize(image)}},"source":null,"captured_at":null}]}""";

        PoolItem fromTar = Assert.Single(await new TarPoolSource(tar).ReadAsync(tarJson).ToListAsync());
        PoolItem fromDirectory = Assert.Single(await new DirectoryPoolSource(files.PathOf("img")).ReadAsync(dirJson).ToListAsync());

        Assert.Equal("old/a", fromTar.Id);
        Assert.Equal(PoolTestFiles.Png(0), fromTar.Bytes.ToArray());
        Assert.Equal("b.png", fromDirectory.Id);
        Assert.Equal(PoolTestFiles.Png(1), fromDirectory.Bytes.ToArray());
        Assert.Equal(["b.png"], PoolSources.ListedItemIds(dirJson));
        Assert.Null(PoolSources.ListedItemIds(tarJson));
    }

    [Theory]
    [InlineData("""{"version":2,"kind":"tar","index":0,"item_count":1,"file_path":"a.tar"}""", "format version 2")]
    [InlineData("""{"version":1,"kind":"tar","index":0,"item_count":1}""", "lacks file_path")]
    [InlineData("""{"version":1,"index":0,"item_count":1,"file_path":"a.tar"}""", "not valid JSON")]
    [InlineData("""{"kind":"tar",""", "not valid JSON")]
    public async Task Unreadable_descriptors_are_refused(string json, string expected)
    {
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new TarPoolSource("/p").ReadAsync(json).ToListAsync().AsTask());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_descriptor_of_another_kind_is_refused_by_name()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => new EmbeddingsPoolSource("/p/e.npy").ReadAsync("""{"version":1,"kind":"floppy","index":0,"item_count":1}""").ToListAsync().AsTask());

        Assert.StartsWith("A embeddings source cannot read a floppy shard.", error.Message, StringComparison.Ordinal);
    }
}
