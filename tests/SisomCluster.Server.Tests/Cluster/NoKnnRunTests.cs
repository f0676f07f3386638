using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Npy;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// A run started with <c>knn: false</c> through the API, all roles in one process on the real RabbitMQ and PostgreSQL, over a
/// small pool of stored embeddings (three labeled clusters and an unlabeled, OOD fourth): it completes without the KNN
/// baseline (knn NULL, ood_knn false, no KNN threshold, no knn histogram), every other column equals a KNN run's over the
/// same pool and labels, its selection, drift and exports answer, and the two kinds of run never share a scoring context.
/// </summary>
public sealed class NoKnnRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int D = 16;

    private const int N = 600;

    private const int Budget = 20;

    private const string PoolName = "noknn";

    /// <summary>The columns KNN sets, and those that differ between any two runs whatever they compute.</summary>
    private static readonly string[] NotCompared = ["run_id", "item_id", "context_id", "scored_at", "embedding", "knn", "ood_knn"];

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-noknn-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_run_without_knn_completes_with_every_other_score_of_a_knn_run_and_never_shares_its_context()
    {
        string npy = Path.Combine(_directory, "pool.npy");
        WritePool(npy);
        Guid poolId = Guid.NewGuid();
        string key;
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = PoolName, SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = N });
            await db.SaveChangesAsync();
            key = (await new ApiKeyStore(db, TimeProvider.System).CreateAsync("noknn", [ApiScopes.Write])).Secret;
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, N).Select(i => new ItemRow(Id(i), Source: i % 2 == 0 ? "crawl-a" : "crawl-b")));
        string labels = string.Join('\n', Enumerable.Range(0, N).Where(i => i % 4 < 3).Take(90).Select(i => $"{Id(i)},{i % 4}"));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(labels), null);

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "k" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = "200";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "200";
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();
        using var client = new SisomApiClient(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()), key);

        // ood_score knn with knn: false is refused before any row is written.
        var refused = await Assert.ThrowsAsync<SisomApiException>(() => client.StartRunAsync(new StartRunRequest(PoolName, null, Budget, null, null, null, OodScoreNames.Knn, Knn: false)));
        Assert.Equal(400, refused.Status);
        Assert.Contains("ood_score: 'knn' needs the KNN baseline", refused.Problem?.Detail, StringComparison.Ordinal);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM runs"));

        // A KNN run, then one without (no ood_score given: sisom), then each kind again.
        RunResponse withKnn = await client.StartRunAsync(new StartRunRequest(PoolName, null, Budget, null, null, null));
        Assert.True(withKnn.Knn);
        Assert.Equal(OodScoreNames.Knn, withKnn.OodScore);
        AssertCompleted(await WaitAsync(client, withKnn.Id));
        RunResponse without = await client.StartRunAsync(new StartRunRequest(PoolName, null, Budget, null, null, null, Knn: false));
        Assert.False(without.Knn);
        Assert.Equal(OodScoreNames.Sisom, without.OodScore);
        RunResponse done = await WaitAsync(client, without.Id);
        AssertCompleted(done);
        Assert.False(done.Knn);

        // Rows: every item, no knn score and no knn flag; everything else as the KNN run's, item by item.
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", without.Id));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND (knn IS NOT NULL OR ood_knn)", without.Id));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND knn IS NOT NULL", withKnn.Id));
        Assert.True(await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND NOT is_reference", without.Id) > 0);
        string[] compared = [.. ItemScoreColumns.Names.Where(n => !NotCompared.Contains(n))];
        Assert.Contains("sisom", compared);
        string differing = string.Join(" OR ", compared.Select(c => $"a.{c} IS DISTINCT FROM b.{c}"));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores a JOIN item_scores b ON b.item_id = a.item_id AND b.run_id = $2 WHERE a.run_id = $1", withKnn.Id, without.Id));
        Assert.Equal(0, await database.CountAsync($"SELECT count(*) FROM item_scores a JOIN item_scores b ON b.item_id = a.item_id AND b.run_id = $2 WHERE a.run_id = $1 AND ({differing})", withKnn.Id, without.Id));

        // Its own context: no bank, no KNN threshold, features stored all the same.
        Guid knnContext;
        Guid plainContext;
        await using (SisomDbContext db = database.CreateDbContext())
        {
            knnContext = (await db.Runs.SingleAsync(r => r.Id == withKnn.Id)).ContextId!.Value;
            plainContext = (await db.Runs.SingleAsync(r => r.Id == without.Id)).ContextId!.Value;
            Data.Scoring.ScoringContext stored = await db.ScoringContexts.SingleAsync(c => c.Id == plainContext);
            Assert.NotEqual(knnContext, plainContext);
            Assert.False(stored.Knn);
            Assert.Equal(0, stored.KnnK);
            Assert.Null(stored.ThresholdKnn);
            Assert.True((await db.ScoringContexts.SingleAsync(c => c.Id == knnContext)).Knn);
        }

        Assert.Equal(90, await database.CountAsync("SELECT count(*) FROM reference_items WHERE context_id = $1 AND feature IS NOT NULL", plainContext));

        // Thresholds: the KNN run's, less KNN.
        List<ThresholdResponse> thresholds = await client.ThresholdsAsync(without.Id);
        List<ThresholdResponse> knnThresholds = await client.ThresholdsAsync(withKnn.Id);
        Assert.Equal(knnThresholds.Select(t => t.ScoreKind).Where(k => k != OodScoreNames.Knn), thresholds.Select(t => t.ScoreKind));
        Assert.Contains(knnThresholds, t => t.ScoreKind == OodScoreNames.Knn);
        Assert.Equal(knnThresholds.Where(t => t.ScoreKind != OodScoreNames.Knn).Select(t => t.Value), thresholds.Select(t => t.Value));

        // Histograms: no knn series; asking for it says why.
        List<ScoreHistogramResponse> histograms = await client.HistogramsAsync(without.Id);
        Assert.Equal(new[] { "sisom", "sisome", "energy" }, histograms.Select(h => h.Score));
        Assert.All(histograms, h => Assert.Equal(N - 90, h.Counts.Sum()));
        Assert.Contains("knn", (await client.HistogramsAsync(withKnn.Id)).Select(h => h.Score));
        var noHistogram = await Assert.ThrowsAsync<SisomApiException>(() => client.HistogramsAsync(without.Id, "knn"));
        Assert.Equal(400, noHistogram.Status);
        Assert.Contains("without the KNN baseline", noHistogram.Problem?.Detail, StringComparison.Ordinal);

        // Selection (guarded: its second gate falls back to SISOM), drift and exports.
        List<SelectionResponse> selection = await client.SelectionAsync(without.Id).ToListAsync();
        Assert.Equal(Budget, selection.Count);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x JOIN item_scores s ON s.run_id = x.run_id AND s.item_id = x.item_id WHERE x.run_id = $1 AND (s.ood_sisom OR s.is_reference)", without.Id));
        Assert.Equal(N - 90, await database.CountAsync("SELECT sum(scored) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", without.Id));
        Assert.Equal(
            await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND NOT is_reference", without.Id),
            await database.CountAsync("SELECT sum(flagged) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", without.Id));
        string parquet = Path.Combine(_directory, "scores.parquet");
        await using (FileStream file = File.Create(parquet))
        {
            Assert.True(await client.ExportAsync(without.Id, selection: false, embeddings: false, file) > 0);
        }

        using (var duck = new DuckDBConnection("DataSource=:memory:"))
        {
            duck.Open();
            using DuckDBCommand command = duck.CreateCommand();
            command.CommandText = $"SELECT count(*), count(knn), count(sisom) FROM read_parquet('{parquet}')";
            using var reader = command.ExecuteReader();
            Assert.True(reader.Read());
            Assert.Equal(((long)N, 0L, (long)N), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        using (var csv = new MemoryStream())
        {
            await client.DownloadSelectionAsync(without.Id, SelectionFormats.Csv, csv);
            Assert.Equal(Budget + 1, System.Text.Encoding.UTF8.GetString(csv.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        // Each kind reuses only its own kind's context.
        RunResponse knnAgain = await client.StartRunAsync(new StartRunRequest(PoolName, null, Budget, null, null, null));
        AssertCompleted(await WaitAsync(client, knnAgain.Id));
        RunResponse plainAgain = await client.StartRunAsync(new StartRunRequest(PoolName, null, Budget, null, null, null, OodScoreNames.Energy, Knn: false));
        AssertCompleted(await WaitAsync(client, plainAgain.Id));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Assert.Equal(knnContext, (await db.Runs.SingleAsync(r => r.Id == knnAgain.Id)).ContextId);
            Assert.Equal(plainContext, (await db.Runs.SingleAsync(r => r.Id == plainAgain.Id)).ContextId);
            Assert.Equal(2, await db.ScoringContexts.CountAsync());
        }

        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND knn IS NOT NULL", knnAgain.Id));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND knn IS NOT NULL", plainAgain.Id));
        await app.StopAsync();
    }

    private static string Id(int i) => string.Create(CultureInfo.InvariantCulture, $"item-{i:D5}");

    /// <summary>Four clusters, item i in cluster i % 4; the first three are labeled, the fourth is OOD.</summary>
    private static void WritePool(string npy)
    {
        var random = new Random(15);
        var data = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 4 == i % 4 ? 2.0 : 0.0));
            }
        }

        NpyFile.Write(npy, new NpyArray(data, N, D));
        File.WriteAllLines(Path.ChangeExtension(npy, ".ids.txt"), Enumerable.Range(0, N).Select(Id));
    }

    private static void AssertCompleted(RunResponse run) =>
        Assert.True(run.State == RunStates.Completed, $"run {run.Id} is {run.State} ({run.Error}): {run.Progress}");

    private static async Task<RunResponse> WaitAsync(SisomApiClient client, Guid runId)
    {
        RunResponse run = await client.GetRunAsync(runId);
        DateTime deadline = DateTime.UtcNow.AddSeconds(300);
        while (DateTime.UtcNow < deadline && !run.IsFinished)
        {
            await Task.Delay(250);
            run = await client.GetRunAsync(runId);
        }

        return run;
    }
}
