using Google.Protobuf;
using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// Augments a model package (ONNX file + manifest): writes the augmented graph and a manifest whose
/// <c>outputs.layer_states</c> list each state output with its α and layer tensor, in the order given.
/// </summary>
public static class ModelAugmentation
{
    public static ModelPackage Augment(ModelPackage model, IReadOnlyList<LayerChoice> layers, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        ModelManifest manifest = model.Manifest;
        string logits = manifest.Outputs.Logits
            ?? throw new InvalidDataException($"{model.ModelPath}: the model has no logits, so L = −(1/K) Σ log softmax(l) has nothing to differentiate; append a fitted head first (--head head.json).");
        if (manifest.Outputs.LayerStates.Count > 0)
        {
            throw new InvalidDataException($"{model.ModelPath}: the model already outputs layer states; augment the original model instead.");
        }

        if (string.Equals(Path.GetFullPath(outputPath), model.ModelPath, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The output {outputPath} would overwrite the input model.", nameof(outputPath));
        }

        ModelProto proto = OnnxGraph.Parse(model.ModelBytes, model.ModelPath);
        AugmentedGraph augmented = GradientAugmenter.Augment(proto, manifest.Input.Name, logits, layers);

        string directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(outputPath, augmented.Model.ToByteArray());
        if (manifest.Input.MeanImage is { } mean)
        {
            string source = Path.Combine(Path.GetDirectoryName(model.ModelPath)!, mean);
            string target = Path.Combine(directory, mean);
            if (!string.Equals(Path.GetFullPath(source), Path.GetFullPath(target), StringComparison.Ordinal))
            {
                File.Copy(source, target, overwrite: true);
            }
        }

        ModelManifest withStates = manifest with
        {
            Name = manifest.Name + "+states",
            Outputs = manifest.Outputs with { LayerStates = augmented.States },
        };
        File.WriteAllText(ModelPackage.ManifestPathFor(outputPath), withStates.ToJson());
        return ModelPackage.Load(outputPath);
    }
}
