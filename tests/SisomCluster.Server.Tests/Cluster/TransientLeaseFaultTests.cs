using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
/// PostgreSQL unreachable while a worker leases (issue 12, scenario b), on the real RabbitMQ and PostgreSQL: the
/// lease's first connections are refused; the message is retried, not parked, and the run completes at attempt 1.
/// </summary>
public sealed class TransientLeaseFaultTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int RefusedConnections = 3;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-lease-fault-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_transient_database_fault_while_leasing_is_retried_and_the_run_completes()
    {
        const int N = 600;
        const int D = 8;
        var random = new Random(3);
        var data = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 3 == i % 3 ? 2.0 : 0.0));
            }
        }

        string npy = Path.Combine(_directory, "emb.npy");
        NpyFile.Write(npy, new NpyArray(data, N, D));
        File.WriteAllLines(Path.Combine(_directory, "emb.ids.txt"), Enumerable.Range(0, N).Select(i => $"item-{i:D5}"));
        Guid poolId = Guid.NewGuid();
        string poolName = "lease-fault-" + poolId.ToString("N")[..8];
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = poolName, SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = N });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, N).Select(i => new ItemRow($"item-{i:D5}", Source: "crawl")));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', Enumerable.Range(0, 90).Select(i => $"item-{i:D5},{i % 3}"))), null);

        // The first physical connections of the leases' data source are refused, as while PostgreSQL restarts.
        int opened = 0;
        var faulty = new NpgsqlDataSourceBuilder(database.ConnectionString);
        faulty.UsePhysicalConnectionInitializer(
            _ => Refuse(ref opened),
            _ =>
            {
                Refuse(ref opened);
                return Task.CompletedTask;
            });
        await using NpgsqlDataSource leasesSource = faulty.Build();

        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = "t" + Guid.NewGuid().ToString("N")[..8];
        builder.Configuration["Coordinator:ShardSize"] = "200";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "200";

        // No sweep during the test: neither a re-issue nor a republish may rescue a parked message.
        builder.Configuration["Coordinator:LeaseCheckSeconds"] = "3600";
        builder.Services.AddSingleton(_ => new ShardLeases(leasesSource, TimeProvider.System));
        builder.AddSisomServer(ServerRoles.All);
        await using WebApplication app = builder.Build();
        app.MapSisomServer(ServerRoles.All);
        await app.StartAsync();

        Guid runId;
        using (IServiceScope scope = app.Services.CreateScope())
        {
            runId = await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest(poolName, "resnet18", Budget: 10), CancellationToken.None);
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
        Assert.True(Volatile.Read(ref opened) > RefusedConnections, "the fault was never injected");
        Assert.Equal(RunState.Completed, state);
        Assert.Equal(3, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done' AND attempt = 1", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
    }

    private static void Refuse(ref int opened)
    {
        if (Interlocked.Increment(ref opened) <= RefusedConnections)
        {
            throw new NpgsqlException("injected: connection refused", new SocketException((int)SocketError.ConnectionRefused));
        }
    }
}
