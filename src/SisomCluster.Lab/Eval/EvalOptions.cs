using System.CommandLine;
using SisomCluster.Cli;
using SisomCluster.Cli.Offline;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;

namespace SisomCluster.Lab.Eval;

/// <summary>The options <c>eval ood</c> and <c>eval al</c> share: data sizes, seeds, the model and the embedding cache.</summary>
internal sealed class EvalOptions
{
    public Option<string> Out { get; } = new("--out") { Description = "Directory for the tables (.md, .json) and plots (.svg).", HelpName = "DIR", DefaultValueFactory = _ => Path.Combine("docs", "results") };

    public Option<string> Cache { get; } = new("--cache") { Description = "Embedding cache (features keyed by model version and image content).", HelpName = "DIR", DefaultValueFactory = _ => DefaultCacheDirectory() };

    public Option<int> Seeds { get; } = new("--seeds") { Description = "Number of seeds (0..N-1); results are mean ± std over them.", DefaultValueFactory = _ => 3 };

    public Option<int> TrainPerClass { get; } = new("--train-per-class") { Description = "Fashion-MNIST training images per class (the first N of each class): the labeled pool.", DefaultValueFactory = _ => 400 };

    public Option<int> TestPerClass { get; } = new("--test-per-class") { Description = "Fashion-MNIST test images per class (the first N of each class).", DefaultValueFactory = _ => 150 };

    public Option<string> Fashion { get; } = new("--fashion-mnist") { Description = "Directory of the Fashion-MNIST IDX files (Debian dataset-fashion-mnist).", HelpName = "DIR", DefaultValueFactory = _ => FashionMnist.DefaultDirectory };

    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Images per inference batch.", DefaultValueFactory = _ => 32 };

    public Option<string> Model { get; } = WithDescription(ModelOptions.Model(), "'resnet18' (default) or an .onnx with NAME.manifest.json. A backbone gets a head fitted on the labeled ID items; a classifier (manifest with logits) keeps its own final layer as the head.");

    public Option<string> ModelCache { get; } = ModelOptions.Cache();

    public Option<ExecutionProvider> Provider { get; } = ModelOptions.Provider();

    public void AddTo(Command command)
    {
        command.Options.Add(Out);
        command.Options.Add(Cache);
        command.Options.Add(Seeds);
        command.Options.Add(TrainPerClass);
        command.Options.Add(TestPerClass);
        command.Options.Add(Fashion);
        command.Options.Add(BatchSize);
        command.Options.Add(Model);
        command.Options.Add(ModelCache);
        command.Options.Add(Provider);
    }

    public void Validate(ParseResult parse)
    {
        Positive(parse, Seeds);
        Positive(parse, TrainPerClass);
        Positive(parse, TestPerClass);
        Positive(parse, BatchSize);
    }

    public EmbeddingCache OpenCache(ParseResult parse, TextWriter log) => OpenCache(parse, log, LoadModel(parse));

    public EmbeddingCache OpenCache(ParseResult parse, TextWriter log, ModelPackage model) =>
        new(
            parse.GetRequiredValue(Cache),
            model,
            new ExtractorOptions { Provider = parse.GetValue(Provider) },
            parse.GetValue(BatchSize),
            log);

    public ModelPackage LoadModel(ParseResult parse) => ModelOptions.Load(parse.GetRequiredValue(Model), parse.GetRequiredValue(ModelCache));

    /// <summary>The command as typed (for the header of every table it writes).</summary>
    public static string CommandLine(ParseResult parse) =>
        "sisom " + string.Join(' ', parse.Tokens.Select(t => t.Value.Contains(' ', StringComparison.Ordinal) ? $"\"{t.Value}\"" : t.Value));

    public static void Positive(ParseResult parse, Option<int> option)
    {
        int value = parse.GetValue(option);
        if (value < 1)
        {
            throw new UsageException($"{option.Name} must be >= 1, got {value}.");
        }
    }

    public static string DefaultCacheDirectory() => Path.Combine(Path.GetDirectoryName(ModelOptions.DefaultCacheDirectory())!, "eval");

    private static Option<string> WithDescription(Option<string> option, string description)
    {
        option.Description = description;
        return option;
    }
}
