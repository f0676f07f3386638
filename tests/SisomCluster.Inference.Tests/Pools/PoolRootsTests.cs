using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Pools;

/// <summary>
/// Confinement with real <c>../</c>, absolute and symbolic-link entries: a pool source opens only inside the allowed
/// roots, a directory pool never follows a link out of itself, a manifest's items lie in its folder or a root, and the
/// roots travel in the descriptor so that an unconfined reader (a worker) still refuses what the lister refused.
/// </summary>
public sealed class PoolRootsTests
{
    [Fact]
    public async Task A_symlinked_file_in_a_directory_pool_that_points_outside_is_outside_and_unread()
    {
        using var files = new PoolTestFiles();
        files.Write("pool/in.png", PoolTestFiles.Png(0));
        string secret = files.Write("secret/s.png", PoolTestFiles.Png(1));
        File.CreateSymbolicLink(files.PathOf("pool/link.png"), secret);
        Directory.CreateSymbolicLink(files.PathOf("pool/up"), files.PathOf("secret"));

        var source = new DirectoryPoolSource(files.PathOf("pool"));
        PoolListing listing = await source.ListAllAsync(shardSize: 10);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);

        Assert.Equal(["in.png", "link.png", "up/s.png"], read.Select(i => i.Id));
        Assert.Equal(PoolTestFiles.Png(0), read[0].Bytes.ToArray());
        Assert.All(read.Skip(1), i =>
        {
            Assert.Equal(PoolItem.OutsideCode, i.ErrorCode);
            Assert.True(i.Bytes.IsEmpty);
        });
    }

    [Fact]
    public void Open_refuses_a_source_outside_the_roots_by_its_real_path()
    {
        using var files = new PoolTestFiles();
        files.Write("allowed/pool/a.png", PoolTestFiles.Png(0));
        files.Write("outside/pool/a.png", PoolTestFiles.Png(0));
        Directory.CreateSymbolicLink(files.PathOf("allowed/link"), files.PathOf("outside/pool"));
        var roots = new PoolRoots([files.PathOf("allowed")]);

        Assert.IsType<DirectoryPoolSource>(PoolSources.Open(files.PathOf("allowed/pool"), roots));
        Assert.Throws<PoolOutsideRootsException>(() => PoolSources.Open(files.PathOf("outside/pool"), roots));
        Assert.Throws<PoolOutsideRootsException>(() => PoolSources.Open(files.PathOf("allowed/../outside/pool"), roots));
        PoolOutsideRootsException linked = Assert.Throws<PoolOutsideRootsException>(() => PoolSources.Open(files.PathOf("allowed/link"), roots));
        Assert.DoesNotContain(files.Root, linked.Message, StringComparison.Ordinal);

        // A root that is itself a link is taken as its target; unconfined allows everything.
        Assert.IsType<DirectoryPoolSource>(PoolSources.Open(files.PathOf("outside/pool"), new PoolRoots([files.PathOf("allowed/link")])));
        Assert.IsType<DirectoryPoolSource>(PoolSources.Open(files.PathOf("outside/pool"), PoolRoots.Unconfined));
    }

    [Fact]
    public void A_root_is_a_folder_not_a_name_prefix()
    {
        using var files = new PoolTestFiles();
        files.Write("pools/a.png", PoolTestFiles.Png(0));
        files.Write("pools-secret/a.png", PoolTestFiles.Png(0));
        var roots = new PoolRoots([files.PathOf("pools")]);

        Assert.True(roots.Allows(files.PathOf("pools/a.png")));
        Assert.False(roots.Allows(files.PathOf("pools-secret/a.png")));
    }

    [Fact]
    public async Task Under_roots_a_manifest_reads_its_folder_and_the_roots_only()
    {
        using var files = new PoolTestFiles();
        files.Write("data/img/a.png", PoolTestFiles.Png(0));
        string other = files.Write("other-root/b.png", PoolTestFiles.Png(1));
        string secret = files.Write("secret/c.png", PoolTestFiles.Png(2));
        File.CreateSymbolicLink(files.PathOf("data/img/link.png"), secret);
        string manifest = files.WriteText("data/pool.csv",
            "id,uri\n" +
            "a,img/a.png\n" +
            $"b,{other}\n" +
            "dotdot,../secret/c.png\n" +
            $"absolute,{secret}\n" +
            "link,img/link.png\n");
        var roots = new PoolRoots([files.PathOf("data"), files.PathOf("other-root")]);

        var source = (ManifestPoolSource)PoolSources.Open(manifest, roots);
        PoolListing listing = await source.ListAllAsync(shardSize: 10);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);

        Assert.Equal(PoolTestFiles.Png(0), read[0].Bytes.ToArray());
        Assert.Equal(PoolTestFiles.Png(1), read[1].Bytes.ToArray());
        Assert.Equal([null, null, PoolItem.OutsideCode, PoolItem.OutsideCode, PoolItem.OutsideCode], read.Select(i => i.ErrorCode));
        Assert.All(read.Skip(2), i => Assert.True(i.Bytes.IsEmpty));

        // The thumbnail path agrees: the other root is allowed, the link out is not.
        Assert.Null((await source.ReadOneAsync("b", other)).ErrorCode);
        Assert.Equal(PoolItem.OutsideCode, (await source.ReadOneAsync("link", files.PathOf("data/img/link.png"))).ErrorCode);

        // A worker opens the pool unconfined, yet the roots in the descriptor still hold.
        var unconfined = new ManifestPoolSource(manifest);
        List<PoolItem> byWorker = await PoolTestFiles.ReadAllAsync(unconfined, listing);
        Assert.Equal(read.Select(i => i.ErrorCode), byWorker.Select(i => i.ErrorCode));
    }

    [Fact]
    public async Task A_tar_descriptor_naming_a_tar_outside_the_pool_is_refused()
    {
        using var files = new PoolTestFiles();
        files.WriteTar("pool/a.tar", ("k.png", PoolTestFiles.Png(0)));
        string outside = files.WriteTar("secret/b.tar", ("k.png", PoolTestFiles.Png(1)));
        var source = new TarPoolSource(files.PathOf("pool"));
        string descriptor = $$"""{"version":1,"kind":"tar","index":0,"item_count":1,"file_path":{{System.Text.Json.JsonSerializer.Serialize(outside)}}}""";

        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => source.ReadAsync(descriptor).ToListAsync().AsTask());
        Assert.DoesNotContain(files.Root, error.Message, StringComparison.Ordinal);
        Assert.Single(await PoolTestFiles.ReadAllAsync(source, await source.ListAllAsync(shardSize: 10)));
    }

    [Fact]
    public async Task A_worker_confined_more_narrowly_than_the_lister_reads_only_under_its_own_roots()
    {
        using var files = new PoolTestFiles();
        files.Write("data/img/a.png", PoolTestFiles.Png(0));
        string other = files.Write("other-root/b.png", PoolTestFiles.Png(1));
        string manifest = files.WriteText("data/pool.csv", $"id,uri\na,img/a.png\nb,{other}\n");
        var lister = (ManifestPoolSource)PoolSources.Open(manifest, new PoolRoots([files.PathOf("data"), files.PathOf("other-root")]));
        PoolListing listing = await lister.ListAllAsync(shardSize: 10);

        // The descriptor carries both roots; a worker allowed only "data" must not read "other-root" through it.
        var worker = (ManifestPoolSource)PoolSources.Open(manifest, new PoolRoots([files.PathOf("data")]));
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(worker, listing);

        Assert.Equal([null, PoolItem.OutsideCode], read.Select(i => i.ErrorCode));
        Assert.True(read[1].Bytes.IsEmpty);
    }

    [Fact]
    public async Task An_embeddings_descriptor_naming_another_npy_or_ids_file_is_refused_without_paths()
    {
        using var files = new PoolTestFiles();
        string npy = files.PathOf("pool/emb.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(npy)!);
        NpyFile.Write(npy, new NpyArray(new float[4 * 2], 4, 2));
        files.WriteText("pool/emb.ids.txt", "a\nb\nc\nd\n");
        string secret = files.PathOf("secret/other.npy");
        Directory.CreateDirectory(Path.GetDirectoryName(secret)!);
        NpyFile.Write(secret, new NpyArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 4, 2));
        string secretIds = files.WriteText("secret/other.ids.txt", "w\nx\ny\nz\n");
        var source = new EmbeddingsPoolSource(npy);
        string own = (await source.ListAllAsync(shardSize: 10)).Shards[0].Descriptor;

        foreach (string hostile in new[]
        {
            own.Replace(System.Text.Json.JsonSerializer.Serialize(npy), System.Text.Json.JsonSerializer.Serialize(secret), StringComparison.Ordinal),
            own.Replace(System.Text.Json.JsonSerializer.Serialize(files.PathOf("pool/emb.ids.txt")), System.Text.Json.JsonSerializer.Serialize(secretIds), StringComparison.Ordinal),
        })
        {
            Assert.NotEqual(own, hostile);
            InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => source.ReadAsync(hostile).ToListAsync().AsTask());
            Assert.DoesNotContain(files.Root, error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(["a", "b", "c", "d"], (await source.ReadAsync(own).ToListAsync()).Select(i => i.Id));
    }
}
