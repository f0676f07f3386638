using System.CommandLine;
using System.Globalization;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Files;
using SisomCluster.Inference.Models;
using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// <c>sisom offline embed</c>: images (a directory or a tar shard) → features with a model, through the
/// worker's own read → decode → batch → infer pipeline. Unreadable images are skipped and reported.
/// </summary>
internal sealed class OfflineEmbedCommand : Command
{
    private readonly Option<string> _model = ModelOptions.Model();
    private readonly Option<string> _modelCache = ModelOptions.Cache();
    private readonly Option<string> _images = new("--images") { Description = "A directory of images (recursive) or a WebDataset-style .tar shard.", HelpName = "DIR|FILE.tar", Required = true };
    private readonly Option<string> _out = new("--out") { Description = "Features of the images that decoded, N x D float32 .npy, in the order of --ids.", HelpName = "emb.npy", Required = true };
    private readonly Option<string> _ids = new("--ids") { Description = "One item id per line, the row order of --out.", HelpName = "ids.txt", Required = true };
    private readonly Option<string?> _logitsOut = new("--logits-out") { Description = "Also write the logits (N x K .npy) when the model has a classifier.", HelpName = "logits.npy" };
    private readonly Option<string?> _statesOut = new("--states-out") { Description = "Also write the layer states of an augmented model (N x sum C_j .npy, and NAME.layers.json beside it).", HelpName = "states.npy" };
    private readonly Option<int> _batchSize = new("--batch-size") { Description = "Images per inference batch.", DefaultValueFactory = _ => 32 };
    private readonly Option<int> _decodeThreads = new("--decode-threads") { Description = "Parallel decoders; 0 = one per core.", DefaultValueFactory = _ => 0 };
    private readonly Option<int> _threads = new("--threads") { Description = "ONNX Runtime intra-op threads; 0 = its default.", DefaultValueFactory = _ => 0 };
    private readonly Option<ExecutionProvider> _provider = ModelOptions.Provider();

    public OfflineEmbedCommand()
        : base("embed", Describe())
    {
        Options.Add(_model);
        Options.Add(_images);
        Options.Add(_out);
        Options.Add(_ids);
        Options.Add(_logitsOut);
        Options.Add(_statesOut);
        Options.Add(_batchSize);
        Options.Add(_decodeThreads);
        Options.Add(_threads);
        Options.Add(_provider);
        Options.Add(_modelCache);
        SetAction((parse, cancellationToken) => ExecuteAsync(parse, cancellationToken));
    }

    private async Task<int> ExecuteAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter stdout = parse.InvocationConfiguration.Output;
        TextWriter stderr = parse.InvocationConfiguration.Error;
        string images = parse.GetRequiredValue(_images);
        if (!Directory.Exists(images) && !File.Exists(images))
        {
            throw new UsageException($"--images {images}: no such directory or file.");
        }

        int batchSize = parse.GetValue(_batchSize);
        if (batchSize < 1 || parse.GetValue(_decodeThreads) < 0 || parse.GetValue(_threads) < 0)
        {
            throw new UsageException("--batch-size must be >= 1, --decode-threads and --threads >= 0.");
        }

        ModelPackage model = ModelOptions.Load(parse.GetRequiredValue(_model), parse.GetRequiredValue(_modelCache));
        string? logitsPath = parse.GetValue(_logitsOut);
        if (logitsPath is not null && model.Manifest.ClassCount is null)
        {
            throw new UsageException($"--logits-out: model {model.Manifest.Name} has no classifier (no logits output).");
        }

        string? statesPath = parse.GetValue(_statesOut);
        if (statesPath is not null && model.Manifest.Outputs.LayerStates.Count == 0)
        {
            throw new UsageException($"--states-out: model {model.Manifest.Name} outputs no layer states (make one with `sisom model augment`).");
        }

        using FeatureExtractor extractor = ModelOptions.CreateExtractor(model, new ExtractorOptions { Provider = parse.GetValue(_provider), IntraOpThreads = parse.GetValue(_threads) });
        if (extractor.FallbackReason is { } reason)
        {
            stderr.WriteLine($"note: running on CPU, CUDA unavailable: {FirstLine(reason)}");
        }

        using var features = new NpyRowWriter(parse.GetRequiredValue(_out), extractor.FeatureDimension);
        using NpyRowWriter? logits = logitsPath is null ? null : new NpyRowWriter(logitsPath, extractor.ClassCount!.Value);
        int stateWidth = extractor.StateLayers.Sum(l => l.Width);
        using NpyRowWriter? states = statesPath is null ? null : new NpyRowWriter(statesPath, stateWidth);
        float[] stateRow = new float[stateWidth];
        using AtomicFile ids = AtomicFile.Create(parse.GetRequiredValue(_ids));
        var idWriter = new StreamWriter(ids.Stream, leaveOpen: true);
        var progress = ProgressLine.For(stderr);
        var duplicates = new List<string>();
        int skipped = 0;
        void Unreadable(PoolItem item)
        {
            progress.Clear();
            stderr.WriteLine($"skipped {item.Id}: {item.ErrorCode} ({item.Error})");
            skipped++;
        }

        IAsyncEnumerable<SourceImage> source = File.Exists(images)
            ? ImageSources.FromTarAsync(images, duplicates.Add, Unreadable, cancellationToken)
            : ImageSources.FromDirectoryAsync(images, Unreadable, cancellationToken);
        var pipeline = new EmbeddingPipeline(extractor, new PipelineOptions { BatchSize = batchSize, DecodeThreads = parse.GetValue(_decodeThreads) });
        PipelineStatistics stats = await pipeline.RunAsync(
            source,
            (batch, _) =>
            {
                features.Append(batch.Features.AsSpan(0, batch.Count * batch.FeatureDimension));
                logits?.Append(batch.Logits.AsSpan(0, batch.Count * batch.ClassCount));
                for (int i = 0; states is not null && i < batch.Count; i++)
                {
                    batch.CopyLayerStateRow(i, stateRow);
                    states.Append(stateRow);
                }

                for (int i = 0; i < batch.Count; i++)
                {
                    idWriter.WriteLine(batch.Ids[i]);
                }

                foreach (ItemFailure failure in batch.Failures)
                {
                    progress.Clear();
                    stderr.WriteLine($"skipped {failure.Id}: {failure.Code} ({failure.Detail})");
                    skipped++;
                }

                progress.Update($"embedded {features.Rows} images, skipped {skipped}");
                return ValueTask.CompletedTask;
            },
            cancellationToken).ConfigureAwait(false);
        progress.Clear();
        foreach (string key in duplicates)
        {
            stderr.WriteLine($"skipped {key}: duplicate id (a second image member with the same key)");
        }

        idWriter.Dispose();
        if (stats.Embedded == 0)
        {
            // Nothing is written: an empty features file would only fail later, further from the cause.
            throw new UsageException(stats.Items == 0
                ? $"--images {images}: no images found (a directory of image files, or a WebDataset .tar)."
                : $"--images {images}: none of the {stats.Items} images could be decoded (see the reasons above).");
        }

        features.Commit();
        logits?.Commit();
        if (states is not null)
        {
            states.Commit();
            LayerStatesFile.WriteLayers(statesPath!, extractor.StateLayers);
        }

        ids.Commit();
        stdout.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"embedded {stats.Embedded} of {stats.Items} images ({stats.Failed} skipped) with {model.Manifest.Name} {model.Version[..12]} on {extractor.Provider}: {stats.ItemsPerSecond:F1} images/s; D = {extractor.FeatureDimension}"));
        return ExitCodes.Success;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static string Describe() =>
        "Embed images with a model: features h for every image that decodes (skipped ones are reported with their reason)." + Environment.NewLine
        + Environment.NewLine
        + "Example:" + Environment.NewLine
        + "  sisom offline embed --model resnet18 --images pool/ --out emb.npy --ids ids.txt";
}
