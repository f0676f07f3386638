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
/// A growing pool scored incrementally, all roles in one process on the real RabbitMQ and PostgreSQL: a run over N items,
/// M items added to the pool, an incremental run that scores exactly those M (and registers them), then new labels (a new
/// reference version) after which an incremental run scores every item again.
/// </summary>
public sealed class IncrementalRunTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int D = 16;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-incremental-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_incremental_run_scores_only_the_items_added_since_and_all_of_them_after_new_labels()
    {
        const int N = 600;
        const int M = 250;
        string npy = Path.Combine(_directory, "grow.npy");
        WritePool(npy, N);

        Guid poolId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "growing", SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = 0 });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, N).Select(i => new ItemRow(Id(i), Source: "crawl-a")));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(Labels(Enumerable.Range(0, 90))), null);

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = "200";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "200";
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        // The first run (incremental, with nothing earlier) scores the whole pool.
        Guid first = await StartAsync(app, incremental: true);
        Assert.Equal(RunState.Completed, await WaitAsync(first));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", first));

        // M new items land in the pool (the .npy and its ids file grow); an incremental run scores exactly those.
        WritePool(npy, N + M);
        Guid second = await StartAsync(app, incremental: true);
        Assert.Equal(RunState.Completed, await WaitAsync(second));
        Assert.Equal(M, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", second));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores s WHERE s.run_id = $1 AND substr(s.item_id, 6)::int < $2", second, N));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_errors WHERE run_id = $1", second));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Run[] runs = await db.Runs.Where(r => r.Id == first || r.Id == second).ToArrayAsync();
            Assert.Single(runs.Select(r => r.ContextId).Distinct());
            Assert.All(runs, r => Assert.True(RunRequests.IsIncremental(r)));
        }

        // The new items were registered by the launch (drift and thumbnails need their rows); the run's drift and selection
        // cover the new items only.
        Assert.Equal(N + M, await database.CountAsync("SELECT count(*) FROM items WHERE pool_id = $1", poolId));
        Assert.Equal(M, await database.CountAsync("SELECT sum(scored) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'source'", second));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x WHERE x.run_id = $1 AND substr(x.item_id, 6)::int < $2", second, N));

        // A plain run still scores everything.
        Guid full = await StartAsync(app, incremental: false);
        Assert.Equal(RunState.Completed, await WaitAsync(full));
        Assert.Equal(N + M, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", full));

        // New labels (among the new items) are a new reference version: every item's score changes, so all are scored.
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(Labels(Enumerable.Range(N, 30))), null);
        Guid relabeled = await StartAsync(app, incremental: true);
        Assert.Equal(RunState.Completed, await WaitAsync(relabeled));
        Assert.Equal(N + M, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", relabeled));

        // And the next incremental run, with nothing new, scores nothing and still completes.
        Guid idle = await StartAsync(app, incremental: true);
        Assert.Equal(RunState.Completed, await WaitAsync(idle));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", idle));
        await app.StopAsync();
    }

    private static string Id(int i) => $"item-{i:D5}";

    /// <summary>Labels of the given items: class i % 3 (every item lies in its class's cluster).</summary>
    private static string Labels(IEnumerable<int> items) => string.Join('\n', items.Select(i => $"{Id(i)},{i % 3}"));

    /// <summary>Rows 0..count of one fixed sequence: a pool that grows keeps its first rows.</summary>
    private static void WritePool(string npy, int count)
    {
        var random = new Random(21);
        var data = new float[count * D];
        for (int i = 0; i < count; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 3 == i % 3 ? 2.0 : 0.0));
            }
        }

        NpyFile.Write(npy, new NpyArray(data, count, D));
        File.WriteAllLines(Path.ChangeExtension(npy, ".ids.txt"), Enumerable.Range(0, count).Select(Id));
    }

    private static async Task<Guid> StartAsync(WebApplication app, bool incremental)
    {
        using IServiceScope scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest("growing", "resnet18", Budget: 20, Incremental: incremental), CancellationToken.None);
    }

    private async Task<RunState> WaitAsync(Guid runId)
    {
        RunState state = RunState.Pending;
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && state is not (RunState.Completed or RunState.Failed or RunState.Cancelled))
        {
            await Task.Delay(250);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
        }

        return state;
    }
}
