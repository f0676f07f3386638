using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class ShardDescriptorTests
{
    public static TheoryData<ShardDescriptor> Shards => new()
    {
        new ShardDescriptor
        {
            Kind = PoolSourceKind.Manifest,
            Index = 3,
            ItemCount = 2,
            Items = [new PoolItemInfo("a", "/p/a.png", "crawl", new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))), new PoolItemInfo("b", "/p/b.png")],
        },
        new ShardDescriptor { Kind = PoolSourceKind.Tar, Index = 0, ItemCount = 10, FilePath = "/pool/shard-000.tar" },
        new ShardDescriptor
        {
            Kind = PoolSourceKind.Embeddings,
            Index = 1,
            ItemCount = 4095,
            FilePath = "/e/emb.npy",
            IdsPath = "/e/ids.txt",
            IdsOffset = 123_456,
            Start = 4096,
            End = 8192,
            SkippedRows = [5000],
        },
    };

    [Theory]
    [MemberData(nameof(Shards))]
    public void Json_round_trips(ShardDescriptor shard)
    {
        string json = shard.ToJson();
        ShardDescriptor back = ShardDescriptor.FromJson(json);

        Assert.Equal(json, back.ToJson());
        Assert.Equal(shard.Kind, back.Kind);
        Assert.Equal(shard.Items, back.Items);
        Assert.Equal(shard.SkippedRows, back.SkippedRows);
        Assert.Equal(shard with { Items = back.Items, SkippedRows = back.SkippedRows }, back);
    }

    [Fact]
    public void Json_is_snake_case_with_the_kind_as_a_word_and_no_nulls()
    {
        string json = new ShardDescriptor
        {
            Kind = PoolSourceKind.Embeddings,
            Index = 0,
            ItemCount = 1,
            FilePath = "e.npy",
            IdsPath = "ids.txt",
            IdsOffset = 0,
            Start = 0,
            End = 1,
        }.ToJson();

        Assert.Equal("""{"version":1,"kind":"embeddings","index":0,"item_count":1,"file_path":"e.npy","ids_path":"ids.txt","ids_offset":0,"start":0,"end":1}""", json);
    }

    [Theory]
    [InlineData("""{"version":2,"kind":"tar","index":0,"item_count":1,"file_path":"a.tar"}""", "format version 2")]
    [InlineData("""{"version":1,"kind":"tar","index":0,"item_count":1}""", "lacks file_path")]
    [InlineData("""{"version":1,"kind":"directory","index":0,"item_count":1}""", "lacks items")]
    [InlineData("""{"version":1,"kind":"floppy","index":0,"item_count":1}""", "not valid JSON")]
    [InlineData("""{"kind":"tar",""", "not valid JSON")]
    public void Unreadable_descriptors_are_refused(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => ShardDescriptor.FromJson(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
