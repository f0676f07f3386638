using System.Diagnostics;
using System.Globalization;
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
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// Wall time of an active-learning round on a few hundred images with the built-in ResNet-18, with and without re-scoring
/// the stored embeddings, in one run (same machine, same load): a storing run first, then a round that embeds every item
/// and a round that reuses them, each importing 20 new labels (so each builds a new context). README "Backbone passes".
/// Runs in <c>./test.sh</c> on 160 images (the reuse asserted, the times in the test output);
/// <c>SISOM_MEASURE_IMAGES=400</c> gives the README's measurement.
/// </summary>
public sealed class EmbeddingReuseMeasurement(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-reuse-bench-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_round_with_and_without_reusing_stored_embeddings()
    {
        int images = int.Parse(Environment.GetEnvironmentVariable("SISOM_MEASURE_IMAGES") ?? "160", CultureInfo.InvariantCulture);
        FashionMnistPool pool = FashionMnistPool.Write(
            Path.Combine(_directory, "pool"),
            new FashionMnistPoolSpec { InDistribution = images * 3 / 4, NearOod = images / 5, FarOod = images - (images * 3 / 4) - (images / 5), Labeled = 60, Tars = 4 });
        string poolName = "bench-" + Guid.NewGuid().ToString("N")[..8];
        Guid poolId = Guid.NewGuid();
        IPoolSource source = PoolSources.Open(TarPoolSource.KindName, pool.Directory);
        PoolListing listing = await PoolListing.CollectAsync(source.ListAsync(4096));
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = poolName, SourceKind = "tar", SourceUri = source.Uri, CreatedAt = DateTimeOffset.UtcNow, ItemCount = listing.Items.Count });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', pool.LabelLines())), null);
        string[] unlabeled = [.. pool.Items.Where(i => !i.Labeled && i.Class is { } c && c < 6).Select(i => $"{i.Id},{i.Class}")];

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Worker:ModelCache"] = Path.Combine(_directory, "cache");
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        (Guid storing, double storingSeconds) = await TimedAsync(app, s => s.GetRequiredService<RunCreator>().CreateAsync(new RunRequest(poolName, "resnet18", 20, StoreEmbeddings: true), CancellationToken.None));
        (Guid embedding, double embeddingSeconds) = await TimedRoundAsync(app, "bench-embed", poolName, unlabeled[..20], reuse: false);
        (Guid reusing, double reusingSeconds) = await TimedRoundAsync(app, "bench-reuse", poolName, unlabeled[20..40], reuse: true);

        await using SisomDbContext check = database.CreateDbContext();
        RunProgress withReuse = await RunProgress.LoadAsync(check, reusing);
        RunProgress without = await RunProgress.LoadAsync(check, embedding);
        Assert.Equal(storing, (await check.Runs.AsNoTracking().SingleAsync(r => r.Id == reusing)).EmbeddingsFrom);
        Assert.Equal(listing.Items.Count, withReuse.ItemsReused);
        Assert.Equal(0, without.ItemsReused);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{listing.Items.Count} images, 4 tars, resnet18 (CPU), all roles in one process: storing run {storingSeconds:F1} s; round without reuse {embeddingSeconds:F1} s; round re-scoring run {storing}'s embeddings {reusingSeconds:F1} s ({withReuse.ItemsReused} reused); load average {File.ReadAllText("/proc/loadavg").Trim()}"));
        await app.StopAsync();
    }

    private async Task<(Guid Run, double Seconds)> TimedRoundAsync(WebApplication app, string roundId, string poolName, string[] labels, bool reuse)
    {
        return await TimedAsync(app, async s =>
        {
            RoundStart round = await s.GetRequiredService<RoundStarter>().StartAsync(
                roundId, poolName, string.Join('\n', labels), null, new RunRequest(poolName, "resnet18", 20, EmbeddingsFrom: reuse ? Contracts.Http.StartRunRequest.AutoEmbeddings : null), CancellationToken.None);
            return round.Round.RunId!.Value;
        });
    }

    private async Task<(Guid Run, double Seconds)> TimedAsync(WebApplication app, Func<IServiceProvider, Task<Guid>> start)
    {
        var clock = Stopwatch.StartNew();
        Guid run;
        using (IServiceScope scope = app.Services.CreateScope())
        {
            run = await start(scope.ServiceProvider);
        }

        RunState state = RunState.Pending;
        while (state is not (RunState.Completed or RunState.Failed or RunState.Cancelled))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(10), "the run took over 10 minutes");
            await Task.Delay(100);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == run).Select(r => r.State).SingleAsync();
        }

        Assert.Equal(RunState.Completed, state);
        return (run, clock.Elapsed.TotalSeconds);
    }
}
