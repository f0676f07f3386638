using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Pools;
using Xunit;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>The s3 and img2dataset pool kinds against a real S3 API (s3rver on loopback) and real files.</summary>
public sealed class S3PoolSourceTests : IDisposable
{
    private readonly PoolTestFiles _files = new();

    public void Dispose() => _files.Dispose();

    private byte[] TarBytes((string Name, byte[] Bytes)[] members) => File.ReadAllBytes(_files.WriteTar($"tars/{Guid.NewGuid():N}.tar", members));

    private static PoolContext Context(string? serviceUrl = null) => new(new S3Store(S3TestBucket.Settings(serviceUrl)), Img2DatasetColumns.Default);

    [Fact]
    public async Task An_s3_folder_of_tars_lists_and_reads_like_the_tars_on_disk()
    {
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync();
        for (int t = 0; t < 2; t++)
        {
            _files.WriteTar($"pool/shard-{t:000}.tar", [.. Enumerable.Range(0, 3).SelectMany(k => new[] { ($"{k:000000}.png", PoolTestFiles.Png((t * 3) + k)), ($"{k:000000}.txt", "caption"u8.ToArray()) })]);
        }

        await bucket.UploadFolderAsync(_files.PathOf("pool"), "crawl/");
        await bucket.PutAsync("crawl/nested/shard-009.tar", File.ReadAllBytes(_files.PathOf("pool/shard-000.tar")));
        await bucket.PutAsync("crawl-old/shard-000.tar", File.ReadAllBytes(_files.PathOf("pool/shard-000.tar")));
        PoolContext context = Context();

        Assert.Equal(S3TarPoolSource.KindName, await PoolSources.DetectAsync(bucket.Uri("crawl"), context));
        IPoolSource source = await PoolSources.OpenAsync(bucket.Uri("crawl"), PoolRoots.Unconfined, context);
        PoolListing listing = await source.ListAllAsync(shardSize: 2);

        // The folder's own tars only: not its sub-folder's, not a sibling prefix that starts with the same letters.
        Assert.Equal(["shard-000/000000", "shard-000/000001", "shard-000/000002", "shard-001/000000", "shard-001/000001", "shard-001/000002"], listing.Items.Select(i => i.Id));
        Assert.Equal($"s3://{bucket.Name}/crawl/shard-001.tar#000002.png", listing.Items[5].Uri);
        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.Equal(Enumerable.Range(0, 6).Select(PoolTestFiles.Png), read.Select(i => i.Bytes.ToArray()));

        PoolItem one = await source.ReadOneAsync("shard-001/000001", listing.Items[4].Uri);
        Assert.Equal(PoolTestFiles.Png(4), one.Bytes.ToArray());
        Assert.Equal(PoolItem.OutsideCode, (await source.ReadOneAsync("x", $"s3://{bucket.Name}/crawl-old/shard-000.tar#000000.png")).ErrorCode);
        Assert.Equal(PoolItem.OutsideCode, (await source.ReadOneAsync("x", $"s3://{bucket.Name}/crawl/nested/shard-009.tar#000000.png")).ErrorCode);
        Assert.Equal(PoolItem.MissingCode, (await source.ReadOneAsync("x", $"s3://{bucket.Name}/crawl/shard-404.tar#000000.png")).ErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_img2dataset_crawl_lists_from_its_parquet_and_counts_what_was_not_downloaded(bool fromS3)
    {
        await Img2DatasetWriter.WriteAsync(_files.PathOf("crawl"), Img2DatasetTestCrawl.Shards(shards: 3, perShard: 8));
        await using S3TestBucket? bucket = fromS3 ? await S3TestBucket.CreateAsync() : null;
        string uri = _files.PathOf("crawl");
        if (bucket is not null)
        {
            await bucket.UploadFolderAsync(_files.PathOf("crawl"), "laion/part-1/");
            uri = bucket.Uri("laion/part-1");
        }

        PoolContext context = Context();
        Assert.Equal(Img2DatasetPoolSource.KindName, await PoolSources.DetectAsync(uri, context));
        IPoolSource source = await PoolSources.OpenAsync(uri, PoolRoots.Unconfined, context);
        if (fromS3)
        {
            // Telling an s3:// crawl's kind lists the bucket: asynchronously, with the caller's token (never blocking a
            // thread on the listing), and the synchronous detection, which could only block, refuses it.
            using var cancelled = new CancellationTokenSource();
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => PoolSources.DetectAsync(uri, context, cancelled.Token));
            Assert.Contains(nameof(PoolSources.DetectAsync), Assert.Throws<ArgumentException>(() => PoolSources.Detect(uri)).Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(Img2DatasetPoolSource.KindName, PoolSources.Detect(uri));
        }

        var reports = new List<string>();
        PoolListing listing = await source.ListAllAsync(shardSize: 100, reports.Add);

        Assert.Equal(Img2DatasetTestCrawl.Downloaded(3, 8), listing.Items.Select(i => i.Id));
        Assert.Equal([6, 6, 6], listing.Shards.Select(s => s.ItemCount));
        Assert.Contains("6 rows not downloaded, not scored (failed_to_download: 6)", reports);
        Assert.Equal("images.example.org", listing.Items[0].Source);
        Assert.Equal("cdn.example.net", listing.Items[1].Source);
        Assert.Equal(new DateTimeOffset(2026, 1, 2, 1, 0, 0, TimeSpan.Zero), listing.Items.Single(i => i.Id == "000010001").CapturedAt);

        List<PoolItem> read = await PoolTestFiles.ReadAllAsync(source, listing);
        Assert.All(read, i => Assert.Null(i.Error));
        Assert.Equal(PoolTestFiles.Png(16 + 5), read.Single(i => i.Id == "000010005").Bytes.ToArray());
        Assert.Equal("cdn.example.net", read.Single(i => i.Id == "000010005").Source);

        PoolItem one = await source.ReadOneAsync("000020002", listing.Items.Single(i => i.Id == "000020002").Uri);
        Assert.Equal(PoolTestFiles.Png(32 + 2), one.Bytes.ToArray());
    }

    [Fact]
    public async Task Configured_columns_give_source_and_capture_time()
    {
        await Img2DatasetWriter.WriteAsync(_files.PathOf("crawl"), Img2DatasetTestCrawl.Shards(shards: 1, perShard: 4));
        var source = new Img2DatasetPoolSource(_files.PathOf("crawl"), new PoolContext(S3Store.Default, new Img2DatasetColumns { SourceColumn = "caption", CapturedAtColumn = "" }));
        PoolListing listing = await source.ListAllAsync(shardSize: 10);
        Assert.Equal(["item 0 of shard 0", "item 1 of shard 0", "item 2 of shard 0"], listing.Items.Select(i => i.Source));
        Assert.All(listing.Items, i => Assert.Null(i.CapturedAt));
    }

    [Fact]
    public async Task A_listed_key_missing_from_its_tar_comes_back_as_a_missing_item_with_the_reason()
    {
        IReadOnlyList<IReadOnlyList<Img2DatasetSample>> shards = Img2DatasetTestCrawl.Shards(shards: 1, perShard: 4);
        await Img2DatasetWriter.WriteAsync(_files.PathOf("crawl"), shards);
        var source = new Img2DatasetPoolSource(_files.PathOf("crawl"), PoolContext.Default);
        PoolListing listing = await source.ListAllAsync(shardSize: 10);

        // The tar is rewritten without key 000000001 after the listing: its parquet still says success.
        File.Delete(_files.PathOf("crawl/00000.tar"));
        await Img2DatasetWriter.WriteAsync(_files.PathOf("rewritten"), [[.. shards[0].Where(s => s.Key != "000000001")]]);
        File.Copy(_files.PathOf("rewritten/00000.tar"), _files.PathOf("crawl/00000.tar"));

        List<PoolItem> read = await source.ReadAllAsync(listing.Shards[0]);
        Assert.Equal(["000000000", "000000002", "000000001"], read.Select(i => i.Id));
        PoolItem missing = read[2];
        Assert.Equal(PoolItem.MissingCode, missing.ErrorCode);
        Assert.Contains("no image for key 000000001", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_bucket_and_refused_credentials_fail_the_listing_with_the_reason()
    {
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync();
        await bucket.PutAsync("crawl/a.tar", TarBytes([("0.png", PoolTestFiles.Png(0))]));

        var missing = new S3TarPoolSource($"s3://no-such-bucket-{Guid.NewGuid():N}"[..40], Context());
        DirectoryNotFoundException noBucket = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => missing.ListAllAsync(10));
        Assert.Contains("no such bucket", noBucket.Message, StringComparison.Ordinal);

        var wrong = new PoolContext(new S3Store(S3TestBucket.Settings() with { Credentials = new Amazon.Runtime.BasicAWSCredentials("WRONG", "WRONGSECRET") }), Img2DatasetColumns.Default);
        UnauthorizedAccessException refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => new S3TarPoolSource(bucket.Uri("crawl"), wrong).ListAllAsync(10));
        Assert.Contains("refused the credentials", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("WRONGSECRET", refused.ToString(), StringComparison.Ordinal);

        FileNotFoundException empty = await Assert.ThrowsAsync<FileNotFoundException>(() => new S3TarPoolSource(bucket.Uri("nothing-here"), Context()).ListAllAsync(10));
        Assert.Contains("no .tar objects", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_shard_whose_object_was_deleted_or_replaced_since_listing_fails_with_the_reason()
    {
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync();
        byte[] tar = TarBytes([.. Enumerable.Range(0, 4).Select(k => ($"{k}.png", PoolTestFiles.Png(k)))]);
        await bucket.PutAsync("crawl/a.tar", tar);
        await bucket.PutAsync("crawl/b.tar", tar);

        // Prefetch off: reading a.tar would start b.tar's GET before b.tar is replaced below, and the shard would then read
        // the listed version's bytes (right, but not the case under test).
        var source = new S3TarPoolSource(bucket.Uri("crawl"), new PoolContext(new S3Store(S3TestBucket.Settings() with { PrefetchNext = false }), Img2DatasetColumns.Default));
        PoolListing listing = await source.ListAllAsync(10);

        await bucket.DeleteAsync("crawl/a.tar");
        FileNotFoundException gone = await Assert.ThrowsAsync<FileNotFoundException>(() => source.ReadAllAsync(listing.Shards[0]));
        Assert.Contains("a.tar: no such object", gone.Message, StringComparison.Ordinal);

        // Truncated in place (a writer that died, a partial re-upload): another version than the one listed.
        await bucket.PutAsync("crawl/b.tar", tar[..(tar.Length / 2)]);
        IOException changed = await Assert.ThrowsAsync<S3ReadException>(() => source.ReadAllAsync(listing.Shards[1]));
        Assert.Contains("changed since the pool was listed", changed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3_roots_allow_their_prefix_and_nothing_else()
    {
        var roots = new PoolRoots(["s3://crawls/laion", _files.Root]);
        Assert.True(roots.Allows("s3://crawls/laion/"));
        Assert.True(roots.Allows("s3://crawls/laion/part-1"));
        Assert.False(roots.Allows("s3://crawls/laion-old/part-1"));
        Assert.False(roots.Allows("s3://crawls/"));
        Assert.False(roots.Allows("s3://other/laion"));
        Assert.False(roots.Allows("s3://crawls/laion/../secret"));
        Assert.True(roots.Allows(_files.PathOf("x")));
        Assert.False(new PoolRoots([_files.Root]).Allows("s3://crawls/laion"));
        Assert.True(PoolRoots.Unconfined.Allows("s3://crawls/laion"));
        Assert.Throws<PoolOutsideRootsException>(() => PoolSources.Open(S3TarPoolSource.KindName, "s3://crawls/laion-old", roots, PoolContext.Default));
        Assert.Throws<ArgumentException>(() => PoolSources.Open(TarPoolSource.KindName, "s3://crawls/laion/a.tar", roots, PoolContext.Default));
    }
}
