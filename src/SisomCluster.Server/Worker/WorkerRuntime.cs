using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;

namespace SisomCluster.Server.Worker;

/// <summary>
/// What a worker process keeps between shards: one ONNX Runtime session per model (never one per
/// message) and the scoring contexts it has loaded. Contexts are immutable, so caching them is safe.
/// </summary>
public sealed class WorkerRuntime(IOptions<WorkerOptions> options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FeatureExtractor>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, Lazy<Task<WorkerContext>>> _contexts = new();

    public string WorkerId { get; } = options.Value.WorkerId ?? $"{Environment.MachineName}-{Environment.ProcessId}";

    public FeatureExtractor Model(string model)
    {
        Lazy<FeatureExtractor> lazy = _models.GetOrAdd(model, m => new Lazy<FeatureExtractor>(() => new FeatureExtractor(
            DefaultModels.Resolve(m, options.Value.ModelCache),
            new ExtractorOptions { Provider = options.Value.Provider, IntraOpThreads = options.Value.IntraOpThreads })));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failure (a missing file, a busy GPU) must not stick: the next shard tries again.
            _models.TryRemove(new KeyValuePair<string, Lazy<FeatureExtractor>>(model, lazy));
            throw;
        }
    }

    public async Task<WorkerContext> ContextAsync(Guid contextId, Func<Guid, Task<WorkerContext>> load)
    {
        Lazy<Task<WorkerContext>> lazy = _contexts.GetOrAdd(contextId, id => new Lazy<Task<WorkerContext>>(() => load(id)));
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        catch
        {
            _contexts.TryRemove(new KeyValuePair<Guid, Lazy<Task<WorkerContext>>>(contextId, lazy));
            throw;
        }
    }

    public void Dispose()
    {
        foreach (Lazy<FeatureExtractor> model in _models.Values)
        {
            if (model.IsValueCreated)
            {
                model.Value.Dispose();
            }
        }
    }
}
