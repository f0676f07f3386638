using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;
using Xunit;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// Runs on an image pool (WebDataset tars of real PNGs, a real ONNX model) that re-score an earlier run's stored embeddings
/// (<c>embeddings_from</c>), all roles in one process on the real RabbitMQ and PostgreSQL: the scores equal a fresh run's, the
/// items the source run holds pass through no backbone (shards it covers whole are not even read), an item added since is
/// embedded, a bad source is refused with the reason, and a round picks the source by itself.
/// </summary>
public sealed class EmbeddingReuseTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const string Model = "small_cnn";

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-reuse-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_run_reusing_stored_embeddings_scores_like_a_fresh_run_without_embedding_what_it_reused()
    {
        // Three tars; the third lands in the pool only after the storing run.
        FashionMnistPool images = FashionMnistPool.Write(
            Path.Combine(_directory, "pool"),
            new FashionMnistPoolSpec { InDistribution = 60, NearOod = 24, FarOod = 6, Labeled = 30, Tars = 3 });
        string later = Path.Combine(_directory, "later.tar");
        File.Move(images.TarPath(2), later);
        string poolName = "reuse-" + Guid.NewGuid().ToString("N")[..8];
        Guid poolId = Guid.NewGuid();
        IPoolSource source = PoolSources.Open(TarPoolSource.KindName, images.Directory);
        PoolListing listing = await PoolListing.CollectAsync(source.ListAsync(4096));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = poolName, SourceKind = "tar", SourceUri = source.Uri, CreatedAt = DateTimeOffset.UtcNow, ItemCount = listing.Items.Count });
            db.Pools.Add(new Pool { Id = Guid.NewGuid(), Name = poolName + "-other", SourceKind = "tar", SourceUri = source.Uri, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', images.LabelLines())), null);
        int firstItems = listing.Items.Count;

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Models:Directory"] = SmallCnn();
        builder.Configuration["Worker:ModelCache"] = Path.Combine(_directory, "cache");
        builder.Configuration["Worker:IntraOpThreads"] = "1";
        builder.Configuration["Worker:DecodeThreads"] = "1";
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        // Run 1 stores every item's embedding.
        Guid first = await StartAsync(app, new RunRequest(poolName, Model, Budget: 10, StoreEmbeddings: true));
        Assert.Equal(RunState.Completed, await WaitAsync(first));
        Assert.Equal(firstItems, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1 AND embedding IS NOT NULL", first));

        // A source that cannot give its embeddings is refused, naming why.
        Guid plain = await StartAsync(app, new RunRequest(poolName, Model, Budget: 10));
        Assert.Equal(RunState.Completed, await WaitAsync(plain));
        Assert.Contains("stored no embeddings", await RefusedAsync(app, new RunRequest(poolName, Model, 10, EmbeddingsFrom: plain.ToString())), StringComparison.Ordinal);
        Assert.Contains("scored pool", await RefusedAsync(app, new RunRequest(poolName + "-other", Model, 10, EmbeddingsFrom: first.ToString())), StringComparison.Ordinal);
        Assert.Contains("no run", await RefusedAsync(app, new RunRequest(poolName, Model, 10, EmbeddingsFrom: Guid.NewGuid().ToString())), StringComparison.Ordinal);
        Guid unfinished = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Run done = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == first);
            db.Runs.Add(new Run { Id = unfinished, PoolId = poolId, ModelName = Model, ModelVersion = done.ModelVersion, State = RunState.Failed, ShardSize = 10, Quantile = 0.95, Budget = 1, StoreEmbeddings = true, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        Assert.Contains("is failed", await RefusedAsync(app, new RunRequest(poolName, Model, 10, EmbeddingsFrom: unfinished.ToString())), StringComparison.Ordinal);

        // The third tar lands; run 2 re-scores run 1's embeddings, a fresh run embeds everything.
        File.Move(later, images.TarPath(2));
        Guid reusing = await StartAsync(app, new RunRequest(poolName, Model, Budget: 10, EmbeddingsFrom: first.ToString()));
        Assert.Equal(RunState.Completed, await WaitAsync(reusing));
        Guid fresh = await StartAsync(app, new RunRequest(poolName, Model, Budget: 10));
        Assert.Equal(RunState.Completed, await WaitAsync(fresh));

        int all = images.Items.Count;
        Assert.True(all > firstItems, $"{all} items, {firstItems} before");
        Assert.Equal(all, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", reusing));
        Assert.Equal(all, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", fresh));

        // Every score equals the fresh run's (float32 vectors read back exactly), labeled items included.
        Assert.Equal(0, await database.CountAsync(
            """
            SELECT count(*) FROM item_scores a JOIN item_scores b ON b.item_id = a.item_id AND b.run_id = $2
            WHERE a.run_id = $1 AND (a.sisom <> b.sisom OR a.sisome <> b.sisome OR a.energy <> b.energy OR a.knn IS DISTINCT FROM b.knn
                OR a.predicted <> b.predicted OR a.nearest_reference IS DISTINCT FROM b.nearest_reference OR a.is_reference <> b.is_reference
                OR a.ood_sisom <> b.ood_sisom OR a.ood_knn <> b.ood_knn)
            """,
            reusing,
            fresh));
        Assert.Equal(
            await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1", fresh),
            await database.CountAsync("SELECT count(*) FROM selections a JOIN selections b ON b.item_id = a.item_id AND b.rank = a.rank AND b.run_id = $2 WHERE a.run_id = $1", reusing, fresh));

        // Run 1's items passed through no backbone in run 2 (its two tars were left unread); the new tar's were embedded.
        Assert.Equal(firstItems, await database.CountAsync("SELECT sum(reused) FROM shards WHERE run_id = $1", reusing));
        Assert.Equal(0, await database.CountAsync("SELECT sum(reused) FROM shards WHERE run_id = $1", fresh));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND descriptor->>'file_path' = $2 AND reused = 0 AND scored > 0", reusing, Path.GetFullPath(images.TarPath(2))));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Assert.Equal(first, (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == reusing)).EmbeddingsFrom);
            Assert.Equal(firstItems, (await RunProgress.LoadAsync(db, reusing)).ItemsReused);
        }

        // A round picks the newest completed run that stored embeddings by itself.
        using (IServiceScope scope = app.Services.CreateScope())
        {
            RoundStart round = await scope.ServiceProvider.GetRequiredService<RoundStarter>().StartAsync(
                "reuse-round", poolName, string.Empty, null, new RunRequest(poolName, Model, 10, EmbeddingsFrom: Contracts.Http.StartRunRequest.AutoEmbeddings), CancellationToken.None);
            Assert.Equal(RunState.Completed, await WaitAsync(round.Round.RunId!.Value));
            await using SisomDbContext db = database.CreateDbContext();
            Assert.Equal(first, (await db.Runs.AsNoTracking().SingleAsync(r => r.Id == round.Round.RunId)).EmbeddingsFrom);
            Assert.Equal(firstItems, (await RunProgress.LoadAsync(db, round.Round.RunId!.Value)).ItemsReused);
        }

        await app.StopAsync();
    }

    private static async Task<Guid> StartAsync(WebApplication app, RunRequest request)
    {
        using IServiceScope scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(request, CancellationToken.None);
    }

    private static async Task<string> RefusedAsync(WebApplication app, RunRequest request)
    {
        ArgumentException e = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(app, request));
        Assert.StartsWith("embeddings_from:", e.Message, StringComparison.Ordinal);
        return e.Message;
    }

    private async Task<RunState> WaitAsync(Guid runId)
    {
        RunState state = RunState.Pending;
        DateTime deadline = DateTime.UtcNow.AddSeconds(180);
        while (DateTime.UtcNow < deadline && state is not (RunState.Completed or RunState.Failed or RunState.Cancelled))
        {
            await Task.Delay(250);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
        }

        return state;
    }

    /// <summary>The test CNN (32-d features, 10-class logits: the model's own head) as a registry model; returns the folder.</summary>
    private string SmallCnn()
    {
        string models = Directory.CreateDirectory(Path.Combine(_directory, "models")).FullName;
        string path = Path.Combine(models, Model + ".onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), path);
        var manifest = new ModelManifest
        {
            Name = Model,
            Input = new ManifestInput { Name = "input", Width = 28, Height = 28, Colour = "grey", Scale = 1.0 / 255, Mean = [0], Std = [1], Resize = "stretch" },
            Outputs = new ManifestOutputs { Features = "features", Logits = "logits" },
            FeatureDimension = 32,
            ClassCount = 10,
        };
        File.WriteAllText(ModelPackage.ManifestPathFor(path), manifest.ToJson());
        return models;
    }
}
