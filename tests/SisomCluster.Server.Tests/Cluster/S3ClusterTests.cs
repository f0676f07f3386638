using System.Diagnostics;
using System.Globalization;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Inference.Tests.Sources;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// End to end over object storage: a Fashion-MNIST crawl written as img2dataset shards (tar + parquet, some urls not
/// downloaded) in a bucket of the loopback S3 server, scored by real coordinator, aggregator and worker processes that
/// read it only through S3; then objects deleted and truncated under a launched run fail their shards with the reason.
/// </summary>
public sealed class S3ClusterTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int Shards = 5;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-s3-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_img2dataset_pool_in_s3_is_scored_exactly_once_and_lost_objects_fail_their_shards_with_the_reason()
    {
        await using S3TestBucket bucket = await S3TestBucket.CreateAsync("sisom-e2e");
        await using var cluster = new ClusterHarness(database, _directory);
        (int downloaded, int notDownloaded, List<string> labelLines) = await WriteCrawlAsync(bucket);
        string uri = bucket.Uri("crawl/2026-01");

        // Registered as the API registers it: detected, listed, its items and labels stored.
        var context = new PoolContext(new S3Store(S3TestBucket.Settings()), Img2DatasetColumns.Default);
        Assert.Equal(Img2DatasetPoolSource.KindName, await PoolSources.DetectAsync(uri, context));
        var reports = new List<string>();
        PoolListing listing = await PoolListing.CollectAsync((await PoolSources.OpenAsync(uri, PoolRoots.Unconfined, context)).ListAsync(4096, reports.Add));
        Assert.Equal(downloaded, listing.Items.Count);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{notDownloaded} rows not downloaded, not scored (failed_to_download: {notDownloaded})"), reports);
        Guid poolId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = cluster.PoolName, SourceKind = Img2DatasetPoolSource.KindName, SourceUri = uri, CreatedAt = DateTimeOffset.UtcNow, ItemCount = listing.Items.Count });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', labelLines)), null);

        (string, string)[] s3 =
        [
            ("S3__ServiceUrl", bucket.ServiceUrl), ("S3__ForcePathStyle", "true"), ("S3__MaxRetries", "1"), ("S3__TimeoutSeconds", "10"),
            ("AWS_ACCESS_KEY_ID", S3TestBucket.AccessKey), ("AWS_SECRET_ACCESS_KEY", S3TestBucket.AccessKey),
        ];
        cluster.Start("coordinator,aggregator", s3);
        Process[] workers = [cluster.Start("worker", [.. s3, ("Worker__LeaseSeconds", "6")]), cluster.Start("worker", [.. s3, ("Worker__LeaseSeconds", "6")])];

        var clock = Stopwatch.StartNew();
        Guid runId = await cluster.StartRunAsync(budget: 20);
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(6));
        output.WriteLine($"run {state} after {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");

        // Every downloaded item exactly once, none of the urls img2dataset failed on.
        Assert.Equal(downloaded, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        Assert.Equal(downloaded, await database.CountAsync("SELECT count(DISTINCT item_id) FROM item_scores WHERE run_id = $1", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores s LEFT JOIN items i ON i.pool_id = $2 AND i.item_id = s.item_id WHERE s.run_id = $1 AND i.item_id IS NULL", runId, poolId));
        Assert.Equal(Shards, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", runId));
        Assert.Equal(20, await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1", runId));
        Assert.Equal(2, await database.CountAsync("SELECT count(*) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", runId));

        // A second run (the context is reused: no reference phase) is launched with no worker up; once its shards are
        // listed, one tar is deleted and one truncated in place. Both shards fail after their attempts, with the reason;
        // the run completes; the other shards' items are scored once.
        foreach (Process worker in workers)
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }

        Guid second = await cluster.StartRunAsync(budget: 20);
        var waited = Stopwatch.StartNew();
        while (await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND published_at IS NOT NULL", second) < Shards && waited.Elapsed < TimeSpan.FromMinutes(2))
        {
            await Task.Delay(200);
        }

        await bucket.DeleteAsync("crawl/2026-01/00003.tar");
        byte[] whole = await File.ReadAllBytesAsync(Path.Combine(_directory, "crawl", "00001.tar"));
        await bucket.PutAsync("crawl/2026-01/00001.tar", whole[..(whole.Length / 2)]);
        cluster.Start("worker", [.. s3, ("Worker__LeaseSeconds", "6")]);
        state = await cluster.WaitForRunAsync(second, TimeSpan.FromMinutes(5));
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");

        Assert.Equal(2, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'failed'", second));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'failed' AND last_error LIKE '%00003.tar: no such object%'", second));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'failed' AND last_error LIKE '%00001.tar%changed since the pool was listed%'", second));
        Assert.Equal(Shards - 2, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", second));
        long expected = await database.CountAsync("SELECT coalesce(sum(item_count), 0) FROM shards WHERE run_id = $1 AND state = 'done'", second);
        Assert.Equal(expected, await database.CountAsync("SELECT count(DISTINCT item_id) FROM item_scores WHERE run_id = $1", second));
        Assert.Equal(expected, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", second));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND (item_id LIKE '00001%' OR item_id LIKE '00003%')", second));
    }

    /// <summary>
    /// Fashion-MNIST (ID classes 0–5 with labels, near-OOD 6–9, far-OOD) as img2dataset shards: keys <c>SSSSSIIII</c>,
    /// two urls per shard not downloaded, urls on two hosts (the sources), uploaded under <c>crawl/2026-01/</c>.
    /// </summary>
    private async Task<(int Downloaded, int NotDownloaded, List<string> Labels)> WriteCrawlAsync(S3TestBucket bucket)
    {
        FashionMnistPool pool = FashionMnistPool.Write(Path.Combine(_directory, "fashion"), new FashionMnistPoolSpec { InDistribution = 240, NearOod = 80, FarOod = 20, Labeled = 90, Tars = Shards });
        var labels = pool.LabeledItems.ToDictionary(i => i.Id, i => i.Class);
        var shards = new List<IReadOnlyList<Img2DatasetSample>>();
        var labelLines = new List<string>();
        int downloaded = 0;
        for (int s = 0; s < Shards; s++)
        {
            var samples = new List<Img2DatasetSample>();
            int index = 0;
            await foreach (SourceImage image in ImageSources.FromTarAsync(pool.TarPath(s)))
            {
                string key = string.Create(CultureInfo.InvariantCulture, $"{s:D5}{index:D4}");
                samples.Add(new Img2DatasetSample
                {
                    Key = key,
                    Url = $"https://{(index % 2 == 0 ? "a.example.org" : "b.example.org")}/{image.Id}.png",
                    Image = image.Bytes,
                    Extension = ".png",
                    Caption = image.Id,
                    Width = 28,
                    Height = 28,
                });
                if (labels.TryGetValue($"{Path.GetFileNameWithoutExtension(pool.TarPath(s))}/{image.Id}", out int? label))
                {
                    labelLines.Add(string.Create(CultureInfo.InvariantCulture, $"{key},{label}"));
                }

                index++;
                downloaded++;
            }

            for (int f = 0; f < 2; f++)
            {
                samples.Add(new Img2DatasetSample { Key = string.Create(CultureInfo.InvariantCulture, $"{s:D5}{index++:D4}"), Url = $"https://a.example.org/gone-{s}-{f}.jpg", Status = "failed_to_download", ErrorMessage = "HTTP Error 404" });
            }

            shards.Add(samples);
        }

        await Img2DatasetWriter.WriteAsync(Path.Combine(_directory, "crawl"), shards);
        await bucket.UploadFolderAsync(Path.Combine(_directory, "crawl"), "crawl/2026-01/");
        Assert.Equal(90, labelLines.Count);
        return (downloaded, 2 * Shards, labelLines);
    }
}
