using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli.Offline;
using SisomCluster.Core;
using SisomCluster.Core.States;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Files;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Sources;
using SisomCluster.Lab.Datasets;

namespace SisomCluster.Lab.Eval;

/// <summary>
/// Embeds image sets once: features are stored as <c>DIR/MODEL-VERSION/NAME-FINGERPRINT.npy</c>, keyed by the
/// model version and the SHA-256 of the pixels, so every seed, strategy and later run reuses them and a
/// changed image or model can never hit a stale file. The model session opens only on the first miss.
/// </summary>
internal sealed class EmbeddingCache : IDisposable
{
    private readonly ModelPackage _model;
    private readonly ExtractorOptions _extractorOptions;
    private readonly int _batchSize;
    private readonly TextWriter _log;
    private FeatureExtractor? _extractor;

    public EmbeddingCache(string directory, ModelPackage model, ExtractorOptions extractorOptions, int batchSize, TextWriter log)
    {
        _model = model;
        _extractorOptions = extractorOptions;
        _batchSize = batchSize;
        _log = log;
        Directory = Path.Combine(directory, model.Version[..16]);
    }

    public string Directory { get; }

    /// <summary>Images embedded (not read from the cache) so far, and the seconds it took.</summary>
    public int Embedded { get; private set; }

    public double EmbedSeconds { get; private set; }

    /// <summary>The model's output layer states (SISOM.md §3.2): true for an augmented model.</summary>
    public bool HasLayerStates => _model.Manifest.Outputs.LayerStates.Count > 0;

    public FeatureMatrix Features(GreyImageSet images) => Embed(images).Features;

    /// <summary>
    /// Features and, for an augmented model, the layer states (stored beside as <c>NAME-FINGERPRINT.states.npy</c>
    /// with its <c>.states.layers.json</c>; the model version already covers the layers and their α).
    /// </summary>
    public (FeatureMatrix Features, LayerStates? States) Embed(GreyImageSet images)
    {
        string path = Path.Combine(Directory, $"{images.Name}-{images.Fingerprint()[..16]}.npy");
        string statesPath = Path.ChangeExtension(path, ".states.npy");
        if (File.Exists(path) && (!HasLayerStates || (File.Exists(statesPath) && File.Exists(LayerStatesFile.LayersPath(statesPath)))))
        {
            NpyArray cached = NpyFile.Read(path);
            LayerStates? cachedStates = HasLayerStates ? LayerStatesFile.Read(statesPath) : null;
            if (cached.Rank == 2 && cached.Shape[0] == images.Count && (cachedStates is null || cachedStates.Rows == images.Count))
            {
                return (new FeatureMatrix(cached.ToSingle(), cached.Shape[0], cached.Shape[1]), cachedStates);
            }

            _log.WriteLine($"note: {path} does not hold {images.Count} rows; embedding again");
        }

        System.IO.Directory.CreateDirectory(Directory);
        FeatureExtractor extractor = _extractor ??= ModelOptions.CreateExtractor(_model, _extractorOptions);
        var clock = Stopwatch.StartNew();
        var features = new float[images.Count * extractor.FeatureDimension];
        int stateWidth = extractor.StateLayers.Sum(l => l.Width);
        var states = new float[images.Count * stateWidth];
        int row = 0;
        var failures = new List<string>();
        var pipeline = new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = _batchSize });
        pipeline.RunAsync(
            Enumerable.Range(0, images.Count).Select(i => new SourceImage(i.ToString(CultureInfo.InvariantCulture), images.EncodePng(i))),
            (batch, _) =>
            {
                failures.AddRange(batch.Failures.Select(f => $"{f.Id}: {f.Code}"));
                batch.Features.AsSpan(0, batch.Count * batch.FeatureDimension).CopyTo(features.AsSpan(row * extractor.FeatureDimension));
                for (int i = 0; i < batch.Count && stateWidth > 0; i++)
                {
                    batch.CopyLayerStateRow(i, states.AsSpan((row + i) * stateWidth, stateWidth));
                }

                row += batch.Count;
                return ValueTask.CompletedTask;
            }).GetAwaiter().GetResult();
        if (failures.Count > 0 || row != images.Count)
        {
            throw new InvalidOperationException($"{images.Name}: {failures.Count} generated images failed to decode ({string.Join(", ", failures.Take(3))}).");
        }

        using (AtomicFile file = AtomicFile.Create(path))
        {
            NpyFile.Write(file.Stream, new NpyArray(features, images.Count, extractor.FeatureDimension));
            file.Commit();
        }

        LayerStates? layerStates = null;
        if (stateWidth > 0)
        {
            layerStates = new LayerStates(extractor.StateLayers, new FeatureMatrix(states, images.Count, stateWidth));
            using (AtomicFile file = AtomicFile.Create(statesPath))
            {
                NpyFile.Write(file.Stream, new NpyArray(states, images.Count, stateWidth));
                file.Commit();
            }

            LayerStatesFile.WriteLayers(statesPath, extractor.StateLayers);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        Embedded += images.Count;
        EmbedSeconds += seconds;
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedded {images.Name}: {images.Count} images in {seconds:F1} s ({images.Count / seconds:F1} images/s) -> {path}"));
        return (new FeatureMatrix(features, images.Count, extractor.FeatureDimension), layerStates);
    }

    public void Dispose() => _extractor?.Dispose();
}
