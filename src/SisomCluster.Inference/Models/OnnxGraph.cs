using Google.Protobuf;
using Onnx;

namespace SisomCluster.Inference.Models;

/// <summary>Read and edit ONNX graphs through the ONNX protobuf classes (OnnxSharp): no ONNX Runtime needed.</summary>
public static class OnnxGraph
{
    public static ModelProto Parse(byte[] bytes, string source)
    {
        try
        {
            return ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not an ONNX model ({e.Message})", e);
        }
    }

    /// <summary>Graph inputs that are real inputs (IR 3 models also list every initializer as an input).</summary>
    public static IReadOnlyList<ValueInfoProto> RealInputs(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return model.Graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
    }

    /// <summary>Dimensions of a tensor value: a number, or null for a symbolic (dynamic) dimension.</summary>
    public static long?[] Shape(ValueInfoProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Type?.TensorType?.Shape is not { } shape)
        {
            return [];
        }

        return shape.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue : (long?)null).ToArray();
    }

    public static string DescribeShape(ValueInfoProto value) =>
        "[" + string.Join(", ", value.Type?.TensorType?.Shape?.Dim.Select(d => d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? d.DimValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : (d.DimParam.Length > 0 ? d.DimParam : "?")) ?? []) + "]";

    public static long Opset(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.OpsetImport.Where(o => o.Domain.Length == 0 || o.Domain == "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
    }

    /// <summary>
    /// Makes dimension 0 of every graph input and output symbolic ("N"), and drops intermediate
    /// shape annotations that still say 1, so any batch size runs. Returns how many dims changed.
    /// </summary>
    public static int MakeBatchDynamic(ModelProto model, string symbol = "N")
    {
        ArgumentNullException.ThrowIfNull(model);
        int changed = 0;
        foreach (ValueInfoProto value in RealInputs(model).Concat(model.Graph.Output))
        {
            if (value.Type?.TensorType?.Shape is { Dim.Count: > 0 } shape)
            {
                shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = symbol };
                changed++;
            }
        }

        foreach (NodeProto node in model.Graph.Node)
        {
            if (node.OpType is "Reshape")
            {
                throw new NotSupportedException($"Node '{node.Name}' is a Reshape whose target shape may fix the batch size; this edit handles reshape-free graphs only.");
            }
        }

        model.Graph.ValueInfo.Clear();
        return changed;
    }

    /// <summary>
    /// The final linear layer of a classifier: the last Gemm (or MatMul [+ Add]) whose weight is an
    /// initializer, returned as W (K×D) and b (K). Null when the graph has none.
    /// </summary>
    public static (float[] Weights, float[] Bias, int ClassCount, int FeatureDimension)? FindFinalLinearLayer(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var initializers = model.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        for (int n = model.Graph.Node.Count - 1; n >= 0; n--)
        {
            NodeProto node = model.Graph.Node[n];
            if (node.Output.Any(o => o.StartsWith(Augmentation.GradientAugmenter.GradientPrefix, StringComparison.Ordinal)))
            {
                // The backward pass of an augmented model multiplies by the same W; it is not the classifier.
                continue;
            }

            if (node.OpType == "Gemm" && node.Input.Count >= 2 && initializers.TryGetValue(node.Input[1], out TensorProto? w) && w.Dims.Count == 2)
            {
                bool transB = node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
                float[] weights = FloatData(w);
                int k = (int)(transB ? w.Dims[0] : w.Dims[1]);
                int d = (int)(transB ? w.Dims[1] : w.Dims[0]);
                float[] kByD = transB ? weights : Transpose(weights, d, k);
                float[] bias = node.Input.Count >= 3 && initializers.TryGetValue(node.Input[2], out TensorProto? b) ? FloatData(b) : new float[k];
                return bias.Length == k ? (kByD, bias, k, d) : null;
            }

            if (node.OpType == "MatMul" && node.Input.Count == 2 && initializers.TryGetValue(node.Input[1], out TensorProto? m) && m.Dims.Count == 2)
            {
                int d = (int)m.Dims[0];
                int k = (int)m.Dims[1];
                float[] bias = new float[k];
                NodeProto? add = model.Graph.Node.Skip(n + 1).FirstOrDefault(x => x.OpType == "Add" && x.Input.Contains(node.Output[0]));
                string? biasName = add?.Input.FirstOrDefault(i => i != node.Output[0]);
                if (biasName is not null && initializers.TryGetValue(biasName, out TensorProto? mb) && mb.Dims.Aggregate(1L, (a, x) => a * x) == k)
                {
                    bias = FloatData(mb);
                }

                return (Transpose(FloatData(m), d, k), bias, k, d);
            }
        }

        return null;
    }

    public static float[] FloatData(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' is not float32.");
        }

        if (tensor.FloatData.Count > 0)
        {
            return [.. tensor.FloatData];
        }

        byte[] raw = tensor.RawData.ToByteArray();
        var values = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, values, 0, values.Length * 4);
        return values;
    }

    private static float[] Transpose(float[] rowsByColumns, int rows, int columns)
    {
        var t = new float[rowsByColumns.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                t[(c * rows) + r] = rowsByColumns[(r * columns) + c];
            }
        }

        return t;
    }
}
