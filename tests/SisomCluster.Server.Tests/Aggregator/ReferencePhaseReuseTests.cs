using System.Reflection;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;
using SisomCluster.Server.Scoring;
using Xunit;

namespace SisomCluster.Server.Tests.Aggregator;

/// <summary>
/// The reference phase once, in the aggregator (ARCHITECTURE.md §3 step 0): reference-set versions of one pool and model
/// embed only their new labels; a version with no new label builds no ONNX Runtime session; and with the model's own head
/// the margins and leave-one-out neighbours are carried over and updated — the stored context is the one a build from
/// scratch gives.
/// </summary>
public sealed class ReferencePhaseReuseTests : IAsyncLifetime
{
    private const string Model = "small_cnn";
    private readonly DatabaseFixture _database = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-reference-").FullName;

    public Task InitializeAsync() => _database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Each_version_embeds_only_new_labels_and_updates_the_previous_margins()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 70);
        string pool = Directory.CreateDirectory(Path.Combine(_directory, "pool")).FullName;
        for (int i = 0; i < 70; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(pool, $"item-{i:D3}.png"), data.EncodePng(i));
        }

        string models = Directory.CreateDirectory(Path.Combine(_directory, "models")).FullName;
        ModelPackage package = SmallCnn(models);
        Guid poolId = await PoolAsync(pool, Enumerable.Range(0, 70).Select(i => $"item-{i:D3}.png"));
        var labels = Enumerable.Range(0, 50).ToDictionary(i => $"item-{i:D3}.png", i => (int)data.Labels[i]);

        // Version 1: every labeled item is embedded, and the session is built for it.
        (Guid first, bool loaded1, string log1) = await PrepareAsync(poolId, labels, models);
        Assert.True(loaded1);
        Assert.Contains("(50 embedded, 0 features reused, 0 margins kept", log1, StringComparison.Ordinal);

        // Version 2: three labels removed, two changed — nothing new to embed, so no session at all.
        labels.Remove("item-004.png");
        labels.Remove("item-017.png");
        labels.Remove("item-033.png");
        labels["item-001.png"] = (labels["item-001.png"] + 1) % 10;
        labels["item-040.png"] = (labels["item-040.png"] + 3) % 10;
        (Guid second, bool loaded2, string log2) = await PrepareAsync(poolId, labels, models);
        Assert.NotEqual(first, second);
        Assert.False(loaded2);
        Assert.Contains("(0 embedded, 47 features reused, 45 margins kept", log2, StringComparison.Ordinal);
        await AssertFromScratchAsync(second, package);

        // Version 3: five new labels — only they are embedded; the rest of the state is carried over.
        foreach (int i in new[] { 50, 55, 60, 65, 69 })
        {
            labels[$"item-{i:D3}.png"] = data.Labels[i];
        }

        (Guid third, bool loaded3, string log3) = await PrepareAsync(poolId, labels, models);
        Assert.True(loaded3);
        Assert.Contains("(5 embedded, 47 features reused, 47 margins kept", log3, StringComparison.Ordinal);
        await AssertFromScratchAsync(third, package);

        // Version 4: one new label, and a labeled item's file left the pool. A fresh build would not read it, so its stored
        // features are not reused either: it leaves the reference set although it is still labeled.
        labels["item-066.png"] = data.Labels[66];
        File.Delete(Path.Combine(pool, "item-010.png"));
        (Guid fourth, _, string log4) = await PrepareAsync(poolId, labels, models);
        Assert.Contains("(1 embedded, 51 features reused", log4, StringComparison.Ordinal);
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            LoadedContext stored = await new ContextStore(db).LoadAsync(fourth, CancellationToken.None);
            Assert.DoesNotContain("item-010.png", stored.ReferenceIds);
            Assert.Equal(52, stored.ReferenceIds.Count);
        }

        await AssertFromScratchAsync(fourth, package);
    }

    [Fact]
    public async Task A_pinned_run_takes_the_labels_of_its_creation_not_those_imported_before_its_launch()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 40);
        string pool = Directory.CreateDirectory(Path.Combine(_directory, "pinned")).FullName;
        for (int i = 0; i < 40; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(pool, $"item-{i:D3}.png"), data.EncodePng(i));
        }

        string models = Directory.CreateDirectory(Path.Combine(_directory, "models")).FullName;
        _ = SmallCnn(models);
        Guid poolId = await PoolAsync(pool, Enumerable.Range(0, 40).Select(i => $"item-{i:D3}.png"));
        string poolName;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            poolName = await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync();
        }

        var importer = new LabelImporter(_database.DataSource);
        await importer.ImportAsync(poolId, new StringReader(string.Join('\n', Enumerable.Range(0, 20).Select(i => $"item-{i:D3}.png,{data.Labels[i]}"))), null);
        Guid pinned, unpinned;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            pinned = await RunRequests.CreateAsync(db, poolName, Model, 1, 0.95, false, 16, 3, DateTimeOffset.UtcNow, pinLabels: true);
            unpinned = await RunRequests.CreateAsync(db, poolName, Model, 1, 0.95, false, 16, 3, DateTimeOffset.UtcNow);
        }

        // Someone imports more labels between the runs' creation and their launch.
        await importer.ImportAsync(poolId, new StringReader(string.Join('\n', Enumerable.Range(20, 5).Select(i => $"item-{i:D3}.png,{data.Labels[i]}"))), null);

        Guid pinnedContext = await LaunchAsync(pinned, models);
        Guid unpinnedContext = await LaunchAsync(unpinned, models);
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            LoadedContext atCreation = await new ContextStore(db).LoadAsync(pinnedContext, CancellationToken.None);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"item-{i:D3}.png"), atCreation.ReferenceIds.Order(StringComparer.Ordinal));
            LoadedContext atLaunch = await new ContextStore(db).LoadAsync(unpinnedContext, CancellationToken.None);
            Assert.Equal(25, atLaunch.ReferenceIds.Count);
        }
    }

    /// <summary>The coordinator's launch of a created run, as far as the reference phase: its shards, then PrepareContext.</summary>
    private async Task<Guid> LaunchAsync(Guid runId, string models)
    {
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            Run run = await db.Runs.SingleAsync(r => r.Id == runId);
            Pool pool = await db.Pools.SingleAsync(p => p.Id == run.PoolId);
            await foreach (ListedShard shard in PoolSources.Open(pool.SourceKind, pool.SourceUri).ListAsync(run.ShardSize))
            {
                db.Shards.Add(new Shard { RunId = run.Id, ShardId = shard.Index, Descriptor = shard.Descriptor, ItemCount = shard.ItemCount });
            }

            await db.SaveChangesAsync();
        }

        var modelOptions = Options.Create(new ModelOptions { ModelCache = Path.Combine(_directory, "cache"), Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
        using var cache = new ModelCache(modelOptions, new ModelRegistry(Options.Create(new ModelDirectoryOptions { Directory = models }), modelOptions));
        ConsumeContext<PrepareContext> context = DispatchProxy.Create<ConsumeContext<PrepareContext>, PrepareContextFailureTests.ContextRecorder>();
        ((PrepareContextFailureTests.ContextRecorder)(object)context).Message = new PrepareContext { RunId = runId };
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await new PrepareContextConsumer(db, cache, new PoolAccess(Options.Create(new PoolOptions())), Options.Create(new AggregatorOptions { KnnK = 5 }), TimeProvider.System, new RecordingLogger()).Consume(context);
        }

        await using SisomDbContext check = _database.CreateDbContext();
        Run done = await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.True(done.ContextId is not null, $"no context: {done.Error}");
        return done.ContextId!.Value;
    }

    /// <summary>The stored context against one built from scratch on the same stored features with the model's head.</summary>
    private async Task AssertFromScratchAsync(Guid contextId, ModelPackage package)
    {
        await using SisomDbContext db = _database.CreateDbContext();
        LoadedContext stored = await new ContextStore(db).LoadAsync(contextId, CancellationToken.None);
        var features = stored.Scoring.Knn!.ReferenceFeatures;
        List<ContextBuilder.LabeledFeatures> labeled = stored.ReferenceIds.Select((id, i) => new ContextBuilder.LabeledFeatures(id, stored.Scoring.Reference.Labels[i], features.Row(i).ToArray())).ToList();
        (ScoringContext scratch, _, _) = ContextBuilder.Build(labeled, 10, ModelPackage.ReadFinalLinearLayer(package.ModelPath), new ScoringContextOptions { Quantile = 0.95 });
        Assert.Equal(scratch.Alpha, stored.Scoring.Alpha);
        Assert.Equal(scratch.Reference.Margins, stored.Scoring.Reference.Margins);
        Assert.Equal(scratch.Statistics.RAvg, stored.Scoring.Statistics.RAvg);
        Assert.Equal(scratch.Statistics.SdR, stored.Scoring.Statistics.SdR);
        Assert.Equal(scratch.ThresholdSisom, stored.Scoring.ThresholdSisom);
        Assert.Equal(scratch.ThresholdSisome, stored.Scoring.ThresholdSisome);
    }

    private async Task<(Guid ContextId, bool SessionBuilt, string Log)> PrepareAsync(Guid poolId, Dictionary<string, int> labels, string models)
    {
        Guid runId;
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await db.Labels.Where(l => l.PoolId == poolId).ExecuteDeleteAsync();
            Guid import = Guid.NewGuid();
            db.Labels.AddRange(labels.Select(l => new ItemLabel { PoolId = poolId, ItemId = l.Key, Label = l.Value, ImportedAt = DateTimeOffset.UtcNow, ImportId = import }));
            Pool pool = await db.Pools.SingleAsync(p => p.Id == poolId);
            var run = new Run { Id = Guid.NewGuid(), PoolId = poolId, ModelName = Model, ModelVersion = "pending", ShardSize = 16, Quantile = 0.95, Budget = 1, CreatedAt = DateTimeOffset.UtcNow };
            db.Runs.Add(run);
            await foreach (ListedShard shard in PoolSources.Open(pool.SourceKind, pool.SourceUri).ListAsync(run.ShardSize))
            {
                db.Shards.Add(new Shard { RunId = run.Id, ShardId = shard.Index, Descriptor = shard.Descriptor, ItemCount = shard.ItemCount });
            }

            await db.SaveChangesAsync();
            runId = run.Id;
        }

        var modelOptions = Options.Create(new ModelOptions { ModelCache = Path.Combine(_directory, "cache"), Provider = ExecutionProvider.Cpu, IntraOpThreads = 1 });
        using var cache = new ModelCache(modelOptions, new ModelRegistry(Options.Create(new ModelDirectoryOptions { Directory = models }), modelOptions));
        ConsumeContext<PrepareContext> context = DispatchProxy.Create<ConsumeContext<PrepareContext>, PrepareContextFailureTests.ContextRecorder>();
        var recorder = (PrepareContextFailureTests.ContextRecorder)(object)context;
        recorder.Message = new PrepareContext { RunId = runId };
        var logger = new RecordingLogger();
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await new PrepareContextConsumer(db, cache, new PoolAccess(Options.Create(new PoolOptions())), Options.Create(new AggregatorOptions { KnnK = 5 }), TimeProvider.System, logger).Consume(context);
        }

        await using SisomDbContext check = _database.CreateDbContext();
        Run done = await check.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
        Assert.True(done.ContextId is not null, $"no context: {done.Error}");
        Assert.Contains(recorder.Published, m => m is ContextReady);
        return (done.ContextId!.Value, cache.IsLoaded(Model), string.Join('\n', logger.Messages));
    }

    private async Task<Guid> PoolAsync(string source, IEnumerable<string> itemIds)
    {
        var pool = new Pool { Id = Guid.NewGuid(), Name = "p-" + Guid.NewGuid().ToString("N")[..8], SourceKind = "directory", SourceUri = source, CreatedAt = DateTimeOffset.UtcNow };
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            db.Pools.Add(pool);
            await db.SaveChangesAsync();
        }

        await new ItemRegistry(_database.DataSource).AddItemsAsync(pool.Id, itemIds.Select(id => new ItemRow(id)));
        return pool.Id;
    }

    /// <summary>The test CNN of the worker tests (32-d features, 10-class logits: the model's own head), as a registry model.</summary>
    private static ModelPackage SmallCnn(string models)
    {
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
        return ModelPackage.Load(path);
    }

    private sealed class RecordingLogger : ILogger<PrepareContextConsumer>
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
