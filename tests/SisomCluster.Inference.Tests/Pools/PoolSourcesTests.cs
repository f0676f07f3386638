using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

public sealed class PoolSourcesTests
{
    [Fact]
    public void Detect_tells_the_kind_from_what_the_uri_names()
    {
        using var files = new PoolTestFiles();
        files.Write("images/a.png", PoolTestFiles.Png(0));
        files.WriteTar("tars/shard-0.tar", ("a.png", PoolTestFiles.Png(0)));

        Assert.Equal(PoolSourceKind.Directory, PoolSources.Detect(files.PathOf("images")));
        Assert.Equal(PoolSourceKind.Tar, PoolSources.Detect(files.PathOf("tars")));
        Assert.Equal(PoolSourceKind.Tar, PoolSources.Detect(files.PathOf("tars/shard-0.tar")));
        Assert.Equal(PoolSourceKind.Tar, PoolSources.Detect(files.PathOf("tars/shard-*.tar")));
        Assert.Equal(PoolSourceKind.Manifest, PoolSources.Detect("pool.csv"));
        Assert.Equal(PoolSourceKind.Manifest, PoolSources.Detect("pool.JSONL"));
        Assert.Equal(PoolSourceKind.Embeddings, PoolSources.Detect("emb.npy"));
        Assert.Throws<ArgumentException>(() => PoolSources.Detect("pool.zip"));
    }

    [Theory]
    [InlineData(PoolSourceKind.Directory, typeof(DirectoryPoolSource))]
    [InlineData(PoolSourceKind.Manifest, typeof(ManifestPoolSource))]
    [InlineData(PoolSourceKind.Tar, typeof(TarPoolSource))]
    [InlineData(PoolSourceKind.Embeddings, typeof(EmbeddingsPoolSource))]
    public void Open_gives_the_source_of_the_kind(PoolSourceKind kind, Type expected)
    {
        IPoolSource source = PoolSources.Open(kind, "some/uri");

        Assert.IsType(expected, source);
        Assert.Equal(kind, source.Kind);
        Assert.Equal("some/uri", source.Uri);
    }

    [Fact]
    public void A_detected_tar_folder_lists_and_reads()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("tars/shard-0.tar", ("a.png", PoolTestFiles.Png(5)));

        IPoolSource source = PoolSources.Open(files.PathOf("tars"));
        PoolListing listing = source.List(shardSize: 4096);

        Assert.Equal(PoolTestFiles.Png(5), Assert.Single(PoolTestFiles.ReadAll(source, listing)).Bytes.ToArray());
    }
}
