using Google.Protobuf;
using Onnx;
using SisomCluster.Inference.Npy;

namespace SisomCluster.Inference.Models;

/// <summary>
/// The default model, shipped through NuGet (no download at run time): the ImageNet ResNet-18
/// backbone of <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1, 512-d features, no classifier
/// (the head is fitted on the labeled set). Its two files travel in the app's <c>models/resnet18/</c>.
/// </summary>
public static class DefaultModels
{
    public const string ResNet18Name = "resnet18";

    /// <summary>The packaged CNTK export: input [1,3,224,224] BGR minus a mean image, output [1,512,1,1].</summary>
    public static string ResNet18SourceDirectory => Path.Combine(AppContext.BaseDirectory, "models", "resnet18");

    /// <summary>
    /// Writes <c>resnet18.onnx</c> (batch dimension made dynamic), <c>resnet18.mean.npy</c> (the
    /// per-pixel mean image taken from ML.NET's <c>ResNetPreprocess.onnx</c>) and
    /// <c>resnet18.manifest.json</c> into <paramref name="directory"/>, unless they are already there
    /// with the same content. Returns the model path. Deterministic: the same bytes every time.
    /// </summary>
    public static string PrepareResNet18(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string source = Path.Combine(ResNet18SourceDirectory, "ResNet18.onnx");
        string preprocess = Path.Combine(ResNet18SourceDirectory, "ResNetPreprocess.onnx");
        if (!File.Exists(source) || !File.Exists(preprocess))
        {
            throw new FileNotFoundException($"The default model files are missing from {ResNet18SourceDirectory}; they come with the SisomCluster.Inference build (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18).");
        }

        Directory.CreateDirectory(directory);
        string modelPath = Path.Combine(directory, ResNet18Name + ".onnx");

        ModelProto model = OnnxGraph.Parse(File.ReadAllBytes(source), source);
        OnnxGraph.MakeBatchDynamic(model);
        WriteIfChanged(modelPath, model.ToByteArray());

        // ML.NET's preprocessing graph: Split RGB → Concat as BGR → Sub MeanImage[1,3,224,224]. We reproduce it in
        // the decoder (colour "bgr", scale 1, mean image), so only its constant is needed.
        ModelProto prep = OnnxGraph.Parse(File.ReadAllBytes(preprocess), preprocess);
        TensorProto meanImage = prep.Graph.Initializer.Single(i => i.Name == "MeanImage");
        using (var stream = new MemoryStream())
        {
            NpyFile.Write(stream, new NpyArray(OnnxGraph.FloatData(meanImage), 3, 224, 224));
            WriteIfChanged(Path.Combine(directory, ResNet18Name + ".mean.npy"), stream.ToArray());
        }

        var manifest = new ModelManifest
        {
            Name = "resnet18-imagenet",
            Input = new ManifestInput
            {
                Name = "Input247",
                Width = 224,
                Height = 224,
                Colour = "bgr",
                Scale = 1.0,
                Mean = [0, 0, 0],
                Std = [1, 1, 1],
                MeanImage = ResNet18Name + ".mean.npy",
                Resize = "iso_crop",
            },
            Outputs = new ManifestOutputs { Features = "Pooling395_Output_0" },
            FeatureDimension = 512,
        };
        WriteIfChanged(ModelPackage.ManifestPathFor(modelPath), System.Text.Encoding.UTF8.GetBytes(manifest.ToJson()));
        return modelPath;
    }

    /// <summary>Resolves a model argument: "resnet18" (the default, prepared under <paramref name="cacheDirectory"/>) or a path to an .onnx file.</summary>
    public static ModelPackage Resolve(string model, string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        return string.Equals(model, ResNet18Name, StringComparison.OrdinalIgnoreCase)
            ? ModelPackage.Load(PrepareResNet18(Path.Combine(cacheDirectory, ResNet18Name)))
            : ModelPackage.Load(model);
    }

    private static void WriteIfChanged(string path, byte[] bytes)
    {
        if (File.Exists(path) && new FileInfo(path).Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
        {
            return;
        }

        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
