using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SisomCluster.Server.Scoring;

namespace SisomCluster.Server.Worker;

/// <summary>
/// What a worker process keeps between shards besides its models (<see cref="Models.ModelCache"/>): its name in
/// leases and the scoring contexts it has loaded. Contexts are immutable, so caching them is safe.
/// </summary>
public sealed class WorkerRuntime(IOptions<WorkerOptions> options)
{
    private readonly ConcurrentDictionary<Guid, Lazy<Task<LoadedContext>>> _contexts = new();

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
}
