using System.CommandLine;
using System.Globalization;
using Onnx;
using SisomCluster.Inference.Models;

namespace SisomCluster.Cli.Model;

/// <summary><c>sisom model</c>: look inside ONNX models and write their manifests.</summary>
internal static class ModelCommand
{
    public static Command Create() =>
        new("model", "Inspect ONNX models and propose their manifests." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom model inspect classifier.onnx --write")
        {
            CreateInspect(),
            ModelAugmentCommand.Create(),
        };

    private static Command CreateInspect()
    {
        var file = new Argument<string>("FILE") { Description = "An .onnx model." };
        var write = new Option<bool>("--write") { Description = "Write the proposed manifest to NAME.manifest.json beside the model (never overwrites)." };
        var tensors = new Option<bool>("--tensors") { Description = "Also list every node output (op and tensor name): the layer tensors `model augment --layer` can take." };
        var command = new Command(
            "inspect",
            "Print a model's inputs, outputs, opset and final linear layer, and propose a manifest (JSON on stdout)." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom model inspect resnet50.onnx > resnet50.manifest.json")
        {
            file, write, tensors,
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string path = parse.GetRequiredValue(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"{path}: file not found.");
            }

            ModelProto model = OnnxGraph.Parse(File.ReadAllBytes(path), path);
            error.WriteLine($"model: {path} (IR {model.IrVersion}, opset {OnnxGraph.Opset(model)}, producer '{model.ProducerName}', {model.Graph.Node.Count} nodes)");
            foreach (ValueInfoProto input in OnnxGraph.RealInputs(model))
            {
                error.WriteLine($"  input  {input.Name} {OnnxGraph.DescribeShape(input)}");
            }

            foreach (ValueInfoProto o in model.Graph.Output)
            {
                error.WriteLine($"  output {o.Name} {OnnxGraph.DescribeShape(o)}");
            }

            if (parse.GetValue(tensors))
            {
                foreach (NodeProto node in model.Graph.Node)
                {
                    error.WriteLine($"  tensor {string.Join(", ", node.Output)} ({node.OpType})");
                }
            }

            var final = OnnxGraph.FindFinalLinearLayer(model);
            error.WriteLine(final is { } f
                ? string.Create(CultureInfo.InvariantCulture, $"  final linear layer: K = {f.ClassCount}, D = {f.FeatureDimension} (W and b for SISOM come from it)")
                : "  final linear layer: none (a backbone: SISOM will use a head fitted on the labeled set)");

            ModelManifest manifest = ManifestProposal.Propose(model, Path.GetFileNameWithoutExtension(path));
            string json = manifest.ToJson();
            output.Write(json);
            if (parse.GetValue(write))
            {
                string target = ModelPackage.ManifestPathFor(path);
                if (File.Exists(target))
                {
                    throw new UsageException($"{target} exists; not overwriting it.");
                }

                File.WriteAllText(target, json);
                error.WriteLine($"wrote {target}: check colour, scale, mean and std against how the model was trained.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
