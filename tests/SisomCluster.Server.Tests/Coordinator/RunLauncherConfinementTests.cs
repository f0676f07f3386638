using System.Reflection;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Pools;
using Xunit;

namespace SisomCluster.Server.Tests.Coordinator;

/// <summary>
/// A pool registered before <c>Pools:AllowedRoots</c> was set (or changed) and now outside: its run fails at launch with
/// a reason, no shard is written and nothing is sent; a pool inside launches as before.
/// </summary>
public sealed class RunLauncherConfinementTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-launch-").FullName;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_run_of_a_pool_outside_the_roots_fails_at_launch_and_one_inside_launches()
    {
        string allowed = Directory.CreateDirectory(Path.Combine(_directory, "allowed", "pool")).FullName;
        string outside = Directory.CreateDirectory(Path.Combine(_directory, "outside")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(allowed, "a.png"), [1]);
        await File.WriteAllBytesAsync(Path.Combine(outside, "a.png"), [1]);
        Guid outsideRun = await PendingRunAsync("outside", outside, DateTimeOffset.UtcNow.AddMinutes(-2));
        Guid insideRun = await PendingRunAsync("inside", allowed, DateTimeOffset.UtcNow.AddMinutes(-1));
        var pools = new PoolAccess(Options.Create(new PoolOptions { AllowedRoots = { Path.Combine(_directory, "allowed") } }));
        ISendEndpointProvider bus = DispatchProxy.Create<ISendEndpointProvider, SendRecorder>();
        var published = (SendRecorder)(object)bus;
        var queues = new SisomQueues("sisom");

        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Assert.Equal(outsideRun, await new RunLauncher(db, queues, pools, TimeProvider.System).LaunchNextAsync(bus, CancellationToken.None));
        }

        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Run failed = await db.Runs.SingleAsync(r => r.Id == outsideRun);
            Assert.Equal(RunState.Failed, failed.State);
            Assert.Contains("outside the folders this server allows pools in", failed.Error, StringComparison.Ordinal);
            Assert.False(await db.Shards.AnyAsync(s => s.RunId == outsideRun));
            Assert.Empty(published.Calls);

            Assert.Equal(insideRun, await new RunLauncher(db, queues, pools, TimeProvider.System).LaunchNextAsync(bus, CancellationToken.None));
            Assert.Equal(1, await db.Shards.CountAsync(s => s.RunId == insideRun));
            Assert.Single(published.Calls);
        }
    }

    private async Task<Guid> PendingRunAsync(string name, string source, DateTimeOffset created)
    {
        var pool = new Pool { Id = Guid.NewGuid(), Name = name, SourceKind = "directory", SourceUri = source, CreatedAt = created };
        var run = new Run { Id = Guid.NewGuid(), PoolId = pool.Id, ModelName = "resnet18", ModelVersion = "pending", ShardSize = 10, Quantile = 0.95, Budget = 1, CreatedAt = created };
        await using SisomDbContext db = _database.CreateDbContext();
        db.Pools.Add(pool);
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>An <see cref="ISendEndpointProvider"/> whose endpoints record what is sent (queue and method) and do nothing else.</summary>
    public class SendRecorder : DispatchProxy
    {
        public List<string> Calls { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name == nameof(ISendEndpointProvider.GetSendEndpoint) && args?[0] is Uri address)
            {
                ISendEndpoint endpoint = DispatchProxy.Create<ISendEndpoint, EndpointRecorder>();
                ((EndpointRecorder)(object)endpoint).Record = method => Calls.Add($"{address} {method}");
                return Task.FromResult(endpoint);
            }

            throw new NotSupportedException(targetMethod?.Name);
        }
    }

    public class EndpointRecorder : DispatchProxy
    {
        public Action<string> Record { get; set; } = _ => { };

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            Record(targetMethod?.Name ?? "?");
            return targetMethod?.ReturnType == typeof(Task) ? Task.CompletedTask : null;
        }
    }
}
