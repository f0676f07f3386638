using System.CommandLine;
using System.Globalization;
using SisomCluster.Cli.Offline;
using SisomCluster.Inference.Augmentation;
using SisomCluster.Inference.Heads;
using SisomCluster.Inference.Models;

namespace SisomCluster.Cli.Model;

/// <summary>
/// <c>sisom model augment</c>: appends the backward pass of L = −(1/K) Σ log softmax(l) to a classifier, so one
/// inference run also outputs the multi-layer states s_j (SISOM.md §3.2). A backbone without logits gets its
/// fitted head appended first (--head).
/// </summary>
internal static class ModelAugmentCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "'resnet18' or an .onnx file with NAME.manifest.json beside it." };
        var layers = new Option<string[]>("--layer")
        {
            Description = "A layer tensor and its alpha, TENSOR:ALPHA; repeat for several layers (their states join z in this order).",
            HelpName = "TENSOR:ALPHA",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out") { Description = "The augmented model; its manifest is written beside it.", HelpName = "OUT.onnx", Required = true };
        var head = new Option<string?>("--head") { Description = "A fitted head (sisom offline fit-head) to append first, for a backbone without logits.", HelpName = "head.json" };
        Option<string> cache = ModelOptions.Cache();
        var command = new Command(
            "augment",
            "Append the gradient of the KL-to-uniform loss to a model, so it also outputs the layer states s_j = σ(α·mean_hw(o_j)⊙mean_hw(∂L/∂o_j))." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom model augment resnet18 --head head.json --layer ReLU361_Output_0:1000 --layer ReLU329_Output_0:0.001 --out resnet18-ml.onnx")
        {
            model, layers, output, head, cache,
        };
        command.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            List<LayerChoice> choices;
            try
            {
                choices = parse.GetRequiredValue(layers).Select(LayerChoice.Parse).ToList();
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message, e);
            }

            ModelPackage package = ModelOptions.Load(parse.GetRequiredValue(model), parse.GetRequiredValue(cache));
            string outPath = parse.GetRequiredValue(output);
            string? temporary = null;
            try
            {
                if (parse.GetValue(head) is { } headPath)
                {
                    if (!File.Exists(headPath))
                    {
                        throw new UsageException($"--head {headPath}: file not found.");
                    }

                    if (package.Manifest.Outputs.Logits is not null)
                    {
                        throw new UsageException($"--head: model {package.Manifest.Name} already has logits ('{package.Manifest.Outputs.Logits}').");
                    }

                    temporary = Directory.CreateTempSubdirectory("sisom-augment-").FullName;
                    package = OnnxHeadExport.Export(package, HeadFile.Read(headPath).ToLinearHead(), Path.Combine(temporary, Path.GetFileName(outPath)));
                }
                else if (package.Manifest.Outputs.Logits is null)
                {
                    throw new UsageException($"model {package.Manifest.Name} has no logits: pass the fitted head with --head head.json (sisom offline fit-head).");
                }

                ModelPackage augmented;
                try
                {
                    augmented = ModelAugmentation.Augment(package, choices, outPath);
                }
                catch (NotSupportedException e)
                {
                    throw new UsageException(e.Message, e);
                }

                stdout.WriteLine($"wrote {outPath} ({augmented.Manifest.Name}, version {augmented.Version[..12]}) and {ModelPackage.ManifestPathFor(outPath)}");
                foreach (LayerStateOutput state in augmented.Manifest.Outputs.LayerStates)
                {
                    stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {state.Name}: layer {state.Tensor}, alpha {state.Alpha}"));
                }

                return ExitCodes.Success;
            }
            finally
            {
                if (temporary is not null)
                {
                    Directory.Delete(temporary, recursive: true);
                }
            }
        });
        return command;
    }
}
