using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SisomCluster.Server.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>
/// What a worker process keeps between shards besides its models (<see cref="Models.ModelCache"/>): its name in
/// leases, the scoring contexts it has loaded (immutable, so caching them is safe), and where each run's drift buckets
/// come from (<see cref="ShardAggregation.DriftForAsync"/>, decided once per run).
/// </summary>
public sealed class WorkerRuntime(IOptions<WorkerOptions> options)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<LoadedContext>>> _contexts = new();
    private readonly ConcurrentDictionary<Guid, Data.Aggregates.DriftLookup> _drift = new();
    private readonly ConcurrentDictionary<Guid, int> _shards = new();

    public string WorkerId { get; } = options.Value.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    public async Task<LoadedContext> ContextAsync(Guid contextId, Func<Guid, Task<LoadedContext>> load)
    {
        Lazy<Task<LoadedContext>> lazy = _contexts.GetOrAdd(contextId, id => new Lazy<Task<LoadedContext>>(() => load(id)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            _contexts.TryRemove(new KeyValuePair<Guid, Lazy<Task<LoadedContext>>>(contextId, lazy));
            throw;
        }
    }

    /// <summary>Where a run's drift buckets come from: decided by <paramref name="decide"/> at the run's first shard here, then kept.</summary>
    public async Task<Data.Aggregates.DriftLookup> DriftLookupAsync(Guid runId, Func<Task<Data.Aggregates.DriftLookup>> decide)
    {
        ArgumentNullException.ThrowIfNull(decide);
        if (_drift.TryGetValue(runId, out Data.Aggregates.DriftLookup known))
        {
            return known;
        }

        Data.Aggregates.DriftLookup decided = await decide().ConfigureAwait(false);
        _drift[runId] = decided;
        return decided;
    }

    /// <summary>A run's shard count (fixed once it is launched): counted at the run's first shard here, then kept.</summary>
    public async Task<int> ShardCountAsync(Guid runId, Func<Task<int>> count)
    {
        ArgumentNullException.ThrowIfNull(count);
        if (_shards.TryGetValue(runId, out int known))
        {
            return known;
        }

        int counted = await count().ConfigureAwait(false);
        _shards[runId] = counted;
        return counted;
    }
}
