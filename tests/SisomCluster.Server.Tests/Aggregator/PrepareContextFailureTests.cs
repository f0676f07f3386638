using System.Reflection;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using Xunit;

namespace SisomCluster.Server.Tests.Aggregator;

/// <summary>
/// A run whose pool is now outside <c>Pools:AllowedRoots</c>, or whose model is no longer in the registry, cannot get a
/// scoring context however often it is asked: the aggregator fails the run with the reason (no server path) and
/// publishes <see cref="RunCompleted"/>, instead of throwing — which would park the request in <c>_error</c> and have the
/// coordinator send it again forever.
/// </summary>
public sealed class PrepareContextFailureTests : IAsyncLifetime
{
    private readonly DatabaseFixture _database = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-prepare-").FullName;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_model_no_longer_in_the_registry_fails_the_run_with_the_reason()
    {
        string pool = Directory.CreateDirectory(Path.Combine(_directory, "pool")).FullName;
        Guid runId = await PendingRunAsync(pool, model: "retired");

        (Run run, List<object> published) = await ConsumeAsync(runId, new PoolOptions());

        Assert.Equal(RunState.Failed, run.State);
        Assert.Equal("model: no model named 'retired'; known: resnet18.", run.Error);
        Assert.NotNull(run.CompletedAt);
        Assert.Contains(published, m => m is RunCompleted { State: "failed" } c && c.RunId == runId);
    }

    [Fact]
    public async Task A_pool_now_outside_the_roots_fails_the_run_without_naming_server_paths()
    {
        string pool = Directory.CreateDirectory(Path.Combine(_directory, "outside")).FullName;
        string allowed = Directory.CreateDirectory(Path.Combine(_directory, "allowed")).FullName;
        Guid runId = await PendingRunAsync(pool, model: "resnet18");

        (Run run, List<object> published) = await ConsumeAsync(runId, new PoolOptions { AllowedRoots = { allowed } });

        Assert.Equal(RunState.Failed, run.State);
        Assert.StartsWith("pool: ", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(_directory, run.Error, StringComparison.Ordinal);
        Assert.Contains(published, m => m is RunCompleted { State: "failed" });
    }

    private async Task<(Run Run, List<object> Published)> ConsumeAsync(Guid runId, PoolOptions pools)
    {
        var modelOptions = Options.Create(new ModelOptions { ModelCache = Path.Combine(_directory, "cache") });
        using var models = new ModelCache(modelOptions, new ModelRegistry(Options.Create(new ModelDirectoryOptions()), modelOptions));
        ConsumeContext<PrepareContext> context = DispatchProxy.Create<ConsumeContext<PrepareContext>, ContextRecorder>();
        var recorder = (ContextRecorder)(object)context;
        recorder.Message = new PrepareContext { RunId = runId };
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            var consumer = new PrepareContextConsumer(db, models, new PoolAccess(Options.Create(pools)), Options.Create(new AggregatorOptions()), TimeProvider.System, NullLogger<PrepareContextConsumer>.Instance);
            await consumer.Consume(context);
        }

        await using SisomDbContext check = _database.CreateDbContext();
        return (await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId), recorder.Published);
    }

    private async Task<Guid> PendingRunAsync(string source, string model)
    {
        await File.WriteAllBytesAsync(Path.Combine(source, "a.png"), [1]);
        var pool = new Pool { Id = Guid.NewGuid(), Name = "p-" + Guid.NewGuid().ToString("N")[..8], SourceKind = "directory", SourceUri = source, CreatedAt = DateTimeOffset.UtcNow };
        var run = new Run { Id = Guid.NewGuid(), PoolId = pool.Id, ModelName = model, ModelVersion = "pending", ShardSize = 10, Quantile = 0.95, Budget = 1, CreatedAt = DateTimeOffset.UtcNow };
        await using SisomDbContext db = _database.CreateDbContext();
        db.Pools.Add(pool);
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    /// <summary>A consume context that carries one message and records what is published.</summary>
    public class ContextRecorder : DispatchProxy
    {
        public PrepareContext Message { get; set; } = null!;

        public List<object> Published { get; } = [];

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            switch (targetMethod?.Name)
            {
                case "get_Message":
                    return Message;
                case "get_CancellationToken":
                    return CancellationToken.None;
                case "Publish" when args is { Length: > 0 } && args[0] is { } message:
                    Published.Add(message);
                    return Task.CompletedTask;
                default:
                    throw new NotSupportedException(targetMethod?.Name);
            }
        }
    }
}
