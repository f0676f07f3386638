using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;

namespace SisomCluster.Server.Models;

/// <summary>
/// One ONNX Runtime session per model per process (never one per message), shared by the roles that run a model:
/// the worker scores shards with it, the aggregator embeds the labeled items of a run's reference phase. A model is
/// named, never a path: <see cref="ModelRegistry.Resolve"/> refuses anything else (the shard then fails).
/// </summary>
public sealed class ModelCache(IOptions<ModelOptions> options, ModelRegistry registry) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FeatureExtractor>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<ModelPackage>> _packages = new(StringComparer.Ordinal);

    /// <summary>
    /// The model's files, version and manifest without an ONNX Runtime session (the aggregator needs no more when the
    /// labeled items' features are stored already); <see cref="Model"/> builds its session on the same package.
    /// </summary>
    public ModelPackage Package(string model)
    {
        Lazy<ModelPackage> lazy = _packages.GetOrAdd(model, m => new Lazy<ModelPackage>(() => registry.Resolve(m)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            _packages.TryRemove(new KeyValuePair<string, Lazy<ModelPackage>>(model, lazy));
            throw;
        }
    }

    /// <summary>Whether a session of <paramref name="model"/> was built in this process.</summary>
    public bool IsLoaded(string model) => _models.TryGetValue(model, out Lazy<FeatureExtractor>? lazy) && lazy.IsValueCreated;

    public FeatureExtractor Model(string model)
    {
        Lazy<FeatureExtractor> lazy = _models.GetOrAdd(model, m => new Lazy<FeatureExtractor>(() => new FeatureExtractor(
            Package(m),
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
