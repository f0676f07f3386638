using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SisomCluster.Inference.Extraction;

namespace SisomCluster.Server.Models;

/// <summary>
/// One ONNX Runtime session per model per process (never one per message), shared by the roles that run a model:
/// the worker scores shards with it, the aggregator embeds the labeled items of a run's reference phase. A model is
/// named, never a path: <see cref="ModelRegistry.Resolve"/> refuses anything else (the shard then fails).
/// </summary>
public sealed class ModelCache(IOptions<ModelOptions> options, ModelRegistry registry) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FeatureExtractor>> _models = new(StringComparer.Ordinal);

    public FeatureExtractor Model(string model)
    {
        Lazy<FeatureExtractor> lazy = _models.GetOrAdd(model, m => new Lazy<FeatureExtractor>(() => new FeatureExtractor(
            registry.Resolve(m),
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
