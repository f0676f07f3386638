using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
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

namespace SisomCluster.Server.Tests.Telemetry;

/// <summary>
/// A small pool of precomputed embeddings (three labeled clusters and an unlabeled fourth, which is OOD) scored by an
/// all-roles server in this process on the real RabbitMQ and PostgreSQL; the server stays up for scraping until disposed.
/// </summary>
public sealed class EmbeddingsRun : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _directory;

    private EmbeddingsRun(WebApplication app, string directory, Guid runId, Uri address)
    {
        _app = app;
        _directory = directory;
        RunId = runId;
        Address = address;
    }

    public Guid RunId { get; }

    /// <summary>The server's HTTP address (Kestrel on a free loopback port).</summary>
    public Uri Address { get; }

    public static async Task<EmbeddingsRun> StartAsync(DatabaseFixture database, string poolName, int items, int shardSize)
    {
        const int D = 16;
        string directory = Directory.CreateTempSubdirectory("sisom-telemetry-").FullName;
        var random = new Random(7);
        var data = new float[items * D];
        for (int i = 0; i < items; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 4 == i % 4 ? 2.0 : 0.0));
            }
        }

        string npy = Path.Combine(directory, "emb.npy");
        NpyFile.Write(npy, new NpyArray(data, items, D));
        File.WriteAllLines(Path.Combine(directory, "emb.ids.txt"), Enumerable.Range(0, items).Select(i => $"item-{i:D5}"));

        Guid poolId = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = poolName, SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = items });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, items).Select(i => new ItemRow($"item-{i:D5}", Source: i % 2 == 0 ? "crawl-a" : "crawl-b")));
        string labels = string.Join('\n', Enumerable.Range(0, items).Where(i => i % 4 < 3).Take(90).Select(i => $"item-{i:D5},{i % 4}"));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(labels), null);

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "m" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = shardSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Configuration["Coordinator:EmbeddingShardSize"] = shardSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.AddSisomServer(ServerRoles.All);
        WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();
        Uri address = new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        Guid runId;
        using (IServiceScope scope = app.Services.CreateScope())
        {
            runId = await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest(poolName, "resnet18", Budget: 10), CancellationToken.None);
        }

        var run = new EmbeddingsRun(app, directory, runId, address);
        RunState state = RunState.Pending;
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && state != RunState.Completed)
        {
            await Task.Delay(200);
            await using SisomDbContext db = database.CreateDbContext();
            state = await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
        }

        if (state != RunState.Completed)
        {
            await run.DisposeAsync();
            throw new TimeoutException($"Run {runId} is {state} after 90 s.");
        }

        return run;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
