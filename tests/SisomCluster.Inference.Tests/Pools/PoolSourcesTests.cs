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

        Assert.Equal(DirectoryPoolSource.KindName, PoolSources.Detect(files.PathOf("images")));
        Assert.Equal(TarPoolSource.KindName, PoolSources.Detect(files.PathOf("tars")));
        Assert.Equal(TarPoolSource.KindName, PoolSources.Detect(files.PathOf("tars/shard-0.tar")));
        Assert.Equal(TarPoolSource.KindName, PoolSources.Detect(files.PathOf("tars/shard-*.tar")));
        Assert.Equal(ManifestPoolSource.KindName, PoolSources.Detect("pool.csv"));
        Assert.Equal(ManifestPoolSource.KindName, PoolSources.Detect("pool.JSONL"));
        Assert.Equal(EmbeddingsPoolSource.KindName, PoolSources.Detect("emb.npy"));
        Assert.Throws<ArgumentException>(() => PoolSources.Detect("pool.zip"));
    }

    [Fact]
    public void The_registry_names_its_kinds_and_refuses_others()
    {
        Assert.Equal(["img2dataset", "s3", "tar", "directory", "manifest", "embeddings"], PoolSources.Kinds);
        Assert.True(PoolSources.IsKind("TAR"));
        Assert.False(PoolSources.IsKind("zip"));
        Assert.False(PoolSources.IsKind("2"));
        var error = Assert.Throws<ArgumentException>(() => PoolSources.Open("zip", "/p"));
        Assert.StartsWith("unknown source kind 'zip'; use img2dataset, s3, tar, directory, manifest, embeddings.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("directory", typeof(DirectoryPoolSource))]
    [InlineData("Manifest", typeof(ManifestPoolSource))]
    [InlineData("tar", typeof(TarPoolSource))]
    [InlineData("EMBEDDINGS", typeof(EmbeddingsPoolSource))]
    public void Open_gives_the_source_of_the_kind(string kind, Type expected)
    {
        IPoolSource source = PoolSources.Open(kind, "some/uri");

        Assert.IsType(expected, source);
        Assert.Equal(kind.ToLowerInvariant(), source.Kind);
        Assert.Equal("some/uri", source.Uri);
    }

    [Fact]
    public async Task A_detected_tar_folder_lists_and_reads()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("tars/shard-0.tar", ("a.png", PoolTestFiles.Png(5)));

        IPoolSource source = PoolSources.Open(files.PathOf("tars"));
        PoolListing listing = await source.ListAllAsync(shardSize: 4096);

        Assert.Equal(PoolTestFiles.Png(5), Assert.Single(await PoolTestFiles.ReadAllAsync(source, listing)).Bytes.ToArray());
    }
}
