using System.CommandLine;
using SisomCluster.Inference.Extraction;
using SisomCluster.Inference.Models;

namespace SisomCluster.Cli.Offline;

/// <summary>The options every command that runs a model shares, and how they resolve to a model package.</summary>
internal static class ModelOptions
{
    public static Option<string> Model() =>
        new("--model")
        {
            Description = "'resnet18' (the default ImageNet backbone, shipped with the tool) or an .onnx file with NAME.manifest.json beside it.",
            HelpName = "resnet18|FILE.onnx",
            DefaultValueFactory = _ => DefaultModels.ResNet18Name,
        };

    public static Option<string> Cache() =>
        new("--model-cache")
        {
            Description = "Where the default model is prepared (batch made dynamic, manifest written).",
            HelpName = "DIR",
            DefaultValueFactory = _ => DefaultCacheDirectory(),
        };

    public static Option<ExecutionProvider> Provider() =>
        new("--provider")
        {
            Description = "Execution provider: auto (CUDA if available, else CPU), cpu, or cuda (fail without it).",
            DefaultValueFactory = _ => ExecutionProvider.Auto,
        };

    public static ModelPackage Load(string model, string cacheDirectory)
    {
        if (!string.Equals(model, DefaultModels.ResNet18Name, StringComparison.OrdinalIgnoreCase) && !File.Exists(model))
        {
            throw new UsageException($"--model {model}: no such file (use 'resnet18' for the default model).");
        }

        return DefaultModels.Resolve(model, cacheDirectory);
    }

    /// <summary>Creates the session; an unavailable provider the user asked for is a one-line error, not a crash.</summary>
    public static FeatureExtractor CreateExtractor(ModelPackage model, ExtractorOptions options)
    {
        try
        {
            return new FeatureExtractor(model, options);
        }
        catch (InvalidOperationException e) when (options.Provider == ExecutionProvider.Cuda)
        {
            throw new UsageException($"--provider cuda: {e.Message.Split('\n', 2)[0].Trim()}", e);
        }
    }

    public static string DefaultCacheDirectory()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "sisom", "models");
    }
}
