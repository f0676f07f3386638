using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// A worker scaled in (Kubernetes sends SIGTERM; the host stops) while it holds a shard, through the server's own
/// shutdown path on the real RabbitMQ and PostgreSQL: within its shutdown timeout (configuration
/// <c>shutdownTimeoutSeconds</c>, the chart's <c>worker.shutdownTimeoutSeconds</c>) the shard commits before the process
/// exits; past it the worker abandons the lease, the coordinator re-issues the shard at once and another worker commits
/// it. Either way every item is scored once. The worker is held mid-shard by holding its shard's commit lock
/// (ShardCommit's advisory lock, as in <see cref="HeartbeatFaultTests"/>).
/// </summary>
public sealed class ScaleInTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const int N = 300;

    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-scale-in-").FullName;
    private readonly string _prefix = "s" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_worker_stopped_mid_shard_commits_it_within_its_shutdown_timeout()
    {
        string poolName = await PoolAsync();
        await using WebApplication control = await StartAsync(ServerRoles.Coordinator | ServerRoles.Aggregator | ServerRoles.Api);
        WebApplication worker = await StartAsync(ServerRoles.Worker, shutdownSeconds: 60);
        Task stopping;
        Guid runId = await CreateRunAsync(control, poolName);
        await using (Blocker blocker = await Blocker.LockAsync(database, runId))
        {
            await WaitLeasedAsync(runId);
            stopping = worker.StopAsync();

            // The host waits for the shard in hand: still leased at attempt 1 while the test holds the commit.
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.False(stopping.IsCompleted, "the worker stopped without waiting for its shard");
            Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'leased' AND attempt = 1", runId));
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(60));
        await worker.DisposeAsync();

        // Committed by the stopping worker itself, at its attempt: no other worker exists.
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done' AND attempt = 1", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        Assert.Equal(RunState.Completed, await WaitForRunAsync(runId));
    }

    [Fact]
    public async Task A_worker_stopped_mid_shard_past_its_shutdown_timeout_gives_the_shard_back_and_nothing_is_lost()
    {
        string poolName = await PoolAsync();
        await using WebApplication control = await StartAsync(ServerRoles.Coordinator | ServerRoles.Aggregator | ServerRoles.Api);
        // 10 s: the consumers stop after 5 s, the host has 5 s more to cancel the shard's wait and give the lease back (with
        // 2 s, i.e. a 1 s margin, a loaded machine could still hold the lease when the host ended).
        WebApplication worker = await StartAsync(ServerRoles.Worker, shutdownSeconds: 10);
        Assert.Equal(TimeSpan.FromSeconds(10), worker.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(5), worker.Services.GetRequiredService<IOptions<MassTransitHostOptions>>().Value.ConsumerStopTimeout);

        TimeSpan stopTook;
        Guid runId = await CreateRunAsync(control, poolName);
        await using (Blocker blocker = await Blocker.LockAsync(database, runId))
        {
            await WaitLeasedAsync(runId);
            var clock = Stopwatch.StartNew();
            await worker.StopAsync();
            stopTook = clock.Elapsed;
            await worker.DisposeAsync();

            // Given back before the process ended (the lease lasts 60 s): not leased to anyone, nothing written.
            await using (NpgsqlCommand probe = database.DataSource.CreateCommand("SELECT state, lease_owner IS NULL OR lease_expires_at <= now() FROM shards WHERE run_id = $1"))
            {
                probe.Parameters.Add(new NpgsqlParameter { Value = runId });
                await using NpgsqlDataReader reader = await probe.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                string state = reader.GetString(0);
                Assert.True(state != "done" && reader.GetBoolean(1), $"after the stop the shard is {state}, still leased");
            }
        }

        string line = string.Create(CultureInfo.InvariantCulture, $"Scale-in past the shutdown timeout (10 s): the worker host stopped in {stopTook.TotalSeconds:F1} s and gave its shard back");
        output.WriteLine(line);
        Console.WriteLine(line);
        Assert.True(stopTook < TimeSpan.FromSeconds(30), line);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));

        // The coordinator re-issues it as the next attempt; a new worker commits it once.
        await using WebApplication second = await StartAsync(ServerRoles.Worker, shutdownSeconds: 30);
        Assert.Equal(RunState.Completed, await WaitForRunAsync(runId));
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done' AND attempt = 2", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        Assert.Equal(N, await database.CountAsync("SELECT count(DISTINCT item_id) FROM item_scores WHERE run_id = $1", runId));
    }

    [Theory]
    [InlineData(30, 25)]
    [InlineData(240, 235)]
    [InlineData(2, 1)]
    public void The_consumer_stop_timeout_leaves_time_to_abandon_before_the_host_ends(int shutdown, int consumers) =>
        Assert.Equal(TimeSpan.FromSeconds(consumers), ServerHostExtensions.ConsumerStopTimeout(TimeSpan.FromSeconds(shutdown)));

    private async Task<string> PoolAsync()
    {
        const int D = 8;
        var random = new Random(11);
        var data = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            for (int d = 0; d < D; d++)
            {
                data[(i * D) + d] = (float)((random.NextDouble() * 0.6) + (d % 3 == i % 3 ? 2.0 : 0.0));
            }
        }

        Guid poolId = Guid.NewGuid();
        string npy = Path.Combine(_directory, $"{poolId:N}.npy");
        NpyFile.Write(npy, new NpyArray(data, N, D));
        File.WriteAllLines(Path.Combine(_directory, $"{poolId:N}.ids.txt"), Enumerable.Range(0, N).Select(i => $"item-{i:D5}"));
        string poolName = "scale-in-" + poolId.ToString("N")[..8];
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = poolName, SourceKind = "embeddings", SourceUri = npy, CreatedAt = DateTimeOffset.UtcNow, ItemCount = N });
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(database.DataSource).AddItemsAsync(poolId, Enumerable.Range(0, N).Select(i => new ItemRow($"item-{i:D5}", Source: "crawl")));
        await new LabelImporter(database.DataSource).ImportAsync(poolId, new StringReader(string.Join('\n', Enumerable.Range(0, 90).Select(i => $"item-{i:D5},{i % 3}"))), null);
        return poolName;
    }

    private async Task<WebApplication> StartAsync(ServerRoles roles, int? shutdownSeconds = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["ConnectionStrings:Sisom"] = database.ConnectionString;
        builder.Configuration["ConnectionStrings:RabbitMq"] = Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") ?? "amqp://sisom:sisom@127.0.0.1:5672/";
        builder.Configuration["Server:QueuePrefix"] = _prefix;
        builder.Configuration["Coordinator:ShardSize"] = "1000";
        builder.Configuration["Coordinator:EmbeddingShardSize"] = "1000";
        builder.Configuration["Coordinator:LeaseCheckSeconds"] = "1";
        builder.Configuration["Aggregator:SweepSeconds"] = "1";

        // Long leases: a shard that comes back within seconds was given back, not left to run out.
        builder.Configuration["Worker:LeaseSeconds"] = "60";
        if (shutdownSeconds is { } seconds)
        {
            // The key the chart sets as the environment variable shutdownTimeoutSeconds.
            builder.Configuration["shutdownTimeoutSeconds"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        builder.AddSisomServer(roles);
        WebApplication app = builder.Build();
        app.MapSisomServer(roles);
        await app.StartAsync();
        return app;
    }

    private static async Task<Guid> CreateRunAsync(WebApplication app, string poolName)
    {
        using IServiceScope scope = app.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RunCreator>().CreateAsync(new RunRequest(poolName, "resnet18", Budget: 10), CancellationToken.None);
    }

    private async Task WaitLeasedAsync(Guid runId)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'leased'", runId) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no worker leased the shard");
            await Task.Delay(100);
        }
    }

    private async Task<RunState> WaitForRunAsync(Guid runId)
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

    /// <summary>Holds the commit lock of the run's shard 0 until disposed.</summary>
    private sealed class Blocker : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlTransaction _transaction;

        private Blocker(NpgsqlConnection connection, NpgsqlTransaction transaction)
        {
            _connection = connection;
            _transaction = transaction;
        }

        public static async Task<Blocker> LockAsync(DatabaseFixture database, Guid runId)
        {
            NpgsqlConnection connection = await database.DataSource.OpenConnectionAsync();
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync();

            // ShardCommit.BeginAsync's commit lock for shard 0 of the run (taken once the run exists: its scoring context
            // takes seconds to prepare before any shard is leased).
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext($1::text), 0)", connection, transaction))
            {
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
                await command.ExecuteNonQueryAsync();
            }

            return new Blocker(connection, transaction);
        }

        public async ValueTask DisposeAsync()
        {
            await _transaction.RollbackAsync();
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}
