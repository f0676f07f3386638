using System.Globalization;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Npy;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Runs;
using Xunit;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// All roles in one process on the real RabbitMQ and PostgreSQL, over a pool of precomputed embeddings:
/// run start → context → shards → scores → selection, thresholds, drift → completed.
/// </summary>
public sealed class InProcessClusterTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-cluster-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_embeddings_pool_is_scored_exactly_once_and_the_run_completes()
    {
        const int N = 2000;
        const int D = 16;
        var random = new Random(12);
        var data = new float[N * D];
        var truth = new int[N];
        for (int i = 0; i < N; i++)
        {
            truth[i] = i % 4;
            for (int d = 0; d < D; d++)
            {
                // Classes 0-2 are clusters; class 3 (unlabeled) sits elsewhere: OOD.
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 4 == truth[i] ? 2.0 : 0.0));
            }
        }

        string npy = Path.Combine(_directory, "emb.npy");
        NpyFile.Write(npy, new NpyArray(data, N, D));
        File.WriteAllLines(Path.Combine(_directory, "emb.ids.txt"), Enumerable.Range(0, N).Select(i => $"item-{i:D5}"));

        Guid poolId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "embeddings", SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = N });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, N).Select(i => new ItemRow($"item-{i:D5}", Source: i < N / 2 ? "crawl-a" : "crawl-b")));
        string labels = string.Join('\n', Enumerable.Range(0, N).Where(i => truth[i] < 3).Take(150).Select(i => $"item-{i:D5},{truth[i]}"));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(labels), null);

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = "300";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "300";
        var observer = new ScoreShardObserver();
        builder.Services.AddConsumeObserver(_ => observer);
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        Guid runId;
        Guid knnRunId;
        using (IServiceScope scope = app.Services.CreateScope())
        {
            runId = await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest("embeddings", "resnet18", Budget: 25, OodScore: "sisom"), CancellationToken.None);
        }

        Assert.Equal(RunState.Completed, await WaitAsync(runId));

        // A second run of the same pool flagging by KNN: same context (reused), its own drift and OOD exclusion.
        using (IServiceScope scope = app.Services.CreateScope())
        {
            knnRunId = await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest("embeddings", "resnet18", Budget: 25, OodScore: "knn"), CancellationToken.None);
        }

        Assert.Equal(RunState.Completed, await WaitAsync(knnRunId));

        // The same ScoreShard delivered again (a broker redelivery, a duplicate publish): the worker consumes it (waited for,
        // not slept on: a duplicate that never arrived would prove nothing), drops it, and nothing changes.
        long doneBefore = await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done' AND attempt = 1", runId);
        Guid duplicateId = NewId.NextGuid();
        await app.Services.GetRequiredService<IBus>().Publish(
            new SisomCluster.Contracts.ScoreShard { RunId = runId, ShardId = 0, Attempt = 1 },
            c => c.MessageId = duplicateId);
        ConsumedShard duplicate = await observer.WaitAsync(c => c.MessageId == duplicateId, TimeSpan.FromSeconds(30));
        Assert.Null(duplicate.Fault);
        await app.StopAsync();
        Assert.Equal(7, doneBefore);
        Assert.Equal(7, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", runId));
        Assert.Equal(25, await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x JOIN item_scores s ON s.run_id = x.run_id AND s.item_id = x.item_id WHERE x.run_id = $1 AND s.ood_sisom", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x JOIN labels l ON l.item_id = x.item_id WHERE x.run_id = $1", runId));

        // The guarded default selection (issue 16): nothing selected lies above the KNN gate, the 0.8 quantile (nearest rank)
        // of the reference items' leave-one-out KNN scores, which their is_reference rows hold. The old selection (top SISOM
        // among the items not flagged) would have taken such items: the gate is what keeps them out.
        const string Gate = "(SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY knn) FROM item_scores WHERE run_id = $1 AND is_reference)";
        Assert.Equal(0, await database.CountAsync($"SELECT count(*) FROM selections x JOIN item_scores s ON s.run_id = x.run_id AND s.item_id = x.item_id WHERE x.run_id = $1 AND s.knn > {Gate}", runId));
        Assert.True(
            await database.CountAsync(
                $"""
                SELECT count(*) FROM (
                    SELECT s.knn FROM item_scores s LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = s.item_id
                    WHERE s.run_id = $1 AND l.item_id IS NULL AND NOT s.ood_sisom ORDER BY s.sisom DESC, s.item_id LIMIT 25) old
                WHERE old.knn > {Gate}
                """,
                runId,
                poolId) > 0,
            "the old selection's top 25 hold no item above the gate: this run cannot tell the two selections apart");
        // Every shard commit wrote its partial aggregates under the finaliser's default filter (the run's flag and the guarded
        // gates), so the finaliser merged them: the selection lies among the shards' candidates, the drift among their counts.
        Assert.Equal(7, await database.CountAsync("SELECT count(*) FROM shard_aggregates WHERE run_id = $1 AND candidate_filter LIKE 'not ood_sisom, sisom <= %, knn <= %'", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x LEFT JOIN shard_candidates c ON c.run_id = x.run_id AND c.item_id = x.item_id WHERE x.run_id = $1 AND c.item_id IS NULL", runId));
        Assert.Equal(N - 150, await database.CountAsync("SELECT sum(scored) FROM shard_drift WHERE run_id = $1 AND bucket_kind = 'source'", runId));
        Assert.Equal(2, await database.CountAsync("SELECT count(*) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", runId));
        Assert.Equal(4, await database.CountAsync("SELECT count(*) FROM thresholds WHERE run_id = $1", runId));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Assert.Equal(["energy", "knn", "sisom", "sisome"], await db.Thresholds.Where(t => t.RunId == runId).Select(t => t.ScoreKind).OrderBy(k => k).ToListAsync());
        }

        // SISOM.md §5: the 150 labeled items are pool items; each is scored without itself (never its own nearest
        // reference, never d_in = 0), carries is_reference, and stays out of the drift counts.
        Assert.Equal(150, await database.CountAsync("SELECT count(*) FROM item_scores s JOIN labels l ON l.item_id = s.item_id WHERE s.run_id = $1 AND s.is_reference", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores s LEFT JOIN labels l ON l.pool_id = $2 AND l.item_id = s.item_id WHERE s.run_id = $1 AND s.is_reference AND l.item_id IS NULL", runId, poolId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND nearest_reference = item_id", runId));

        // The automatic α saturates these states, so distinct items can share z: a reference item's d_in may be 0 only to
        // a twin in z (another reference whose stored state equals its own), never to itself.
        Assert.Equal(0, await database.CountAsync(
            """
            SELECT count(*) FROM item_scores s
            JOIN reference_items rx ON rx.context_id = s.context_id AND rx.item_id = s.item_id
            JOIN reference_items ra ON ra.context_id = s.context_id AND ra.item_id = s.nearest_reference
            WHERE s.run_id = $1 AND s.d_in = 0 AND (rx.item_id = ra.item_id OR (rx.state <-> ra.state) > 0)
            """,
            runId));
        Assert.Equal(N - 150, await database.CountAsync("SELECT sum(scored) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", runId));
        Assert.Equal(
            await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND NOT is_reference", runId),
            await database.CountAsync("SELECT sum(flagged) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND knn > 0", runId));

        // The KNN run: its drift counts ood_knn, its selection leaves ood_knn items out, and it records its choice.
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Run knnRun = await db.Runs.SingleAsync(r => r.Id == knnRunId);
            Assert.Equal("knn", knnRun.OodScore);
            Assert.Equal((await db.Runs.SingleAsync(r => r.Id == runId)).ContextId, knnRun.ContextId);
        }

        long knnFlagged = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_knn AND NOT is_reference", knnRunId);
        Assert.NotEqual(knnFlagged, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND NOT is_reference", knnRunId));
        Assert.Equal(knnFlagged, await database.CountAsync("SELECT sum(flagged) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", knnRunId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x JOIN item_scores s ON s.run_id = x.run_id AND s.item_id = x.item_id WHERE x.run_id = $1 AND s.ood_knn", knnRunId));

        // The unlabeled cluster (class 3) is far from every reference: flagged far more often than the ID items,
        // whose rate stays near 1 − q (SISOM.md §8.2).
        double oodRate = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND (substr(item_id, 6)::int % 4) = 3", runId) / (N / 4.0);
        double idRate = await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND ood_sisom AND (substr(item_id, 6)::int % 4) <> 3", runId) / (N * 3 / 4.0);
        Assert.True(idRate < 0.15, $"ID items flagged at {idRate.ToString("P1", CultureInfo.InvariantCulture)}");
        Assert.True(oodRate > 3 * idRate, $"OOD items flagged at {oodRate.ToString("P1", CultureInfo.InvariantCulture)}, ID at {idRate.ToString("P1", CultureInfo.InvariantCulture)}");
    }

    private async Task<RunState> WaitAsync(Guid runId)
    {
        RunState state = RunState.Pending;
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && state != RunState.Completed)
        {
            await Task.Delay(250);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
        }

        return state;
    }

    [Fact]
    public async Task Diversity_in_the_finaliser_never_selects_two_copies_of_one_embedding()
    {
        // Every unlabeled vector appears three times under different ids: the plain top-B takes the copies together
        // (equal scores, adjacent ids); SISOM-native diversity (SISOM.md §8.3 step 4) drops a chosen item's duplicates.
        const int D = 16;
        var random = new Random(5);
        var rows = new List<float[]>();
        var ids = new List<string>();
        var labels = new List<string>();
        for (int i = 0; i < 150; i++)
        {
            int c = i % 3;
            rows.Add(Enumerable.Range(0, D).Select(d => (float)((random.NextDouble() * 0.6) + (d % 4 == c ? 2.0 : 0.0))).ToArray());
            ids.Add($"ref-{i:D4}");
            labels.Add($"ref-{i:D4},{c}");
        }

        for (int i = 0; i < 200; i++)
        {
            int c = i % 3;
            float[] v = Enumerable.Range(0, D).Select(d => (float)((random.NextDouble() * 1.2) + (d % 4 == c ? 1.6 : 0.0))).ToArray();
            for (int copy = 0; copy < 3; copy++)
            {
                rows.Add(v);
                ids.Add($"dup-{i:D4}-{copy}");
            }
        }

        string npy = Path.Combine(_directory, "dup.npy");
        NpyFile.Write(npy, new NpyArray(rows.SelectMany(r => r).ToArray(), rows.Count, D));
        File.WriteAllLines(Path.Combine(_directory, "dup.ids.txt"), ids);
        Guid poolId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "duplicates", SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = rows.Count });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, ids.Select(id => new ItemRow(id)));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', labels)), null);

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Aggregator:DiversityFactor"] = "3";
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        Guid runId;
        using (IServiceScope scope = app.Services.CreateScope())
        {
            runId = await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest("duplicates", "resnet18", Budget: 30, StoreEmbeddings: true), CancellationToken.None);
        }

        RunState state = RunState.Pending;
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && state != RunState.Completed)
        {
            await Task.Delay(250);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
        }

        await app.StopAsync();
        Assert.Equal(RunState.Completed, state);
        Assert.Equal(30, await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1", runId));
        Assert.Equal(30, await database.CountAsync("SELECT count(DISTINCT substr(item_id, 1, 8)) FROM selections WHERE run_id = $1", runId));
        Assert.True(await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1 AND reason = 'diversity'", runId) > 0);
    }
}
