using Onnx;
using SisomCluster.Inference.Models;
using static SisomCluster.Inference.Augmentation.GraphWriter;

namespace SisomCluster.Inference.Augmentation;

/// <summary>
/// Reverse-mode differentiation of the nodes between the chosen layers and the logits, written as ordinary
/// ONNX ops after the forward graph. Gradients are per item (the batch axis is never reduced). Each rule
/// below is the textbook vector–Jacobian product of its op in inference mode.
/// </summary>
internal sealed class BackwardPass
{
    /// <summary>Ops the pass differentiates; anything else on the path is an error that names it.</summary>
    public static readonly IReadOnlySet<string> SupportedOps = new HashSet<string>(StringComparer.Ordinal)
    {
        "Conv", "BatchNormalization", "Relu", "Add", "Sub", "Mul", "MaxPool", "AveragePool", "GlobalAveragePool",
        "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Dropout", "Gemm", "MatMul",
    };

    private readonly GraphWriter _w;
    private readonly IReadOnlyDictionary<string, long[]> _shapes;
    private readonly Dictionary<string, TensorProto> _initializers;
    private readonly IReadOnlySet<string> _relevant;
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);

    public BackwardPass(GraphWriter writer, IReadOnlyDictionary<string, long[]> shapes, IReadOnlySet<string> relevant)
    {
        _w = writer;
        _shapes = shapes;
        _relevant = relevant;
        _initializers = writer.Graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
    }

    /// <summary>Inputs through which a gradient can flow; shape and index inputs carry none.</summary>
    public static IEnumerable<string> DataInputs(NodeProto node) =>
        node.OpType switch
        {
            "Shape" or "Size" or "Greater" or "Less" or "Equal" or "ArgMax" or "ArgMin" or "NonZero" => [],
            "Reshape" or "Squeeze" or "Unsqueeze" or "Expand" or "Dropout" => node.Input.Take(1),
            _ => node.Input.Where(i => i.Length > 0),
        };

    public void Seed(string tensor, string gradient) => Add(tensor, gradient);

    /// <summary>The summed gradient of a tensor; null when nothing flows into it.</summary>
    public string? Gradient(string tensor)
    {
        if (!_contributions.TryGetValue(tensor, out List<string>? parts) || parts.Count == 0)
        {
            return null;
        }

        if (parts.Count > 1)
        {
            string sum = _w.Node("Sum", parts);
            parts.Clear();
            parts.Add(sum);
        }

        return parts[0];
    }

    public void Differentiate(NodeProto node)
    {
        string? gy = Gradient(node.Output[0]);
        if (gy is null)
        {
            return;
        }

        switch (node.OpType)
        {
            case "Relu":
                {
                    string x = node.Input[0];
                    string positive = _w.Node("Greater", [x, _w.Scalar(0f)]);
                    Add(x, _w.Node("Where", [positive, gy, _w.Scalar(0f)]));
                    break;
                }

            case "Conv":
                Conv(node, gy);
                break;
            case "BatchNormalization":
                BatchNormalization(node, gy);
                break;
            case "Add":
            case "Sub":
            case "Mul":
                Elementwise(node, gy);
                break;
            case "MaxPool":
                MaxPool(node, gy);
                break;
            case "AveragePool":
                AveragePool(node, gy);
                break;
            case "GlobalAveragePool":
                {
                    string x = node.Input[0];
                    long[] xs = Shape(x);
                    float area = xs.Skip(2).Aggregate(1L, (a, d) => a * d);
                    string scaled = _w.Node("Mul", [gy, _w.Scalar(1f / area)]);
                    Add(x, _w.Node("Expand", [scaled, _w.Node("Shape", [x])]));
                    break;
                }

            case "Flatten":
            case "Reshape":
            case "Squeeze":
            case "Unsqueeze":
                Add(node.Input[0], _w.Node("Reshape", [gy, _w.Node("Shape", [node.Input[0]])]));
                break;
            case "Identity":
            case "Dropout":
                Add(node.Input[0], gy);
                break;
            case "Gemm":
                Gemm(node, gy);
                break;
            case "MatMul":
                MatMul(node, gy);
                break;
            default:
                throw Unsupported(node);
        }
    }

    public static NotSupportedException Unsupported(NodeProto node) =>
        new($"Op {node.OpType} (node '{node.Name}') lies between a chosen layer and the logits and cannot be differentiated; supported: {string.Join(", ", SupportedOps.Order(StringComparer.Ordinal))}.");

    private void Add(string tensor, string gradient)
    {
        if (!_relevant.Contains(tensor))
        {
            return;
        }

        if (!_contributions.TryGetValue(tensor, out List<string>? parts))
        {
            _contributions[tensor] = parts = [];
        }

        parts.Add(gradient);
    }

    private long[] Shape(string tensor) =>
        _shapes.TryGetValue(tensor, out long[]? shape) ? shape : throw new InvalidOperationException($"No probed shape for '{tensor}'.");

    private TensorProto Constant(NodeProto node, int input, string what)
    {
        if (input < node.Input.Count && _initializers.TryGetValue(node.Input[input], out TensorProto? tensor))
        {
            return tensor;
        }

        throw new NotSupportedException($"Node '{node.Name}' ({node.OpType}): its {what} must be a constant initializer to differentiate it.");
    }

    private void RequireConstant(NodeProto node, int input, string what)
    {
        if (input < node.Input.Count && _relevant.Contains(node.Input[input]))
        {
            throw new NotSupportedException($"Node '{node.Name}' ({node.OpType}): its {what} depends on a chosen layer; only the data input can be differentiated.");
        }
    }

    private static long[] ReadInts(NodeProto node, string name, long[] fallback)
    {
        AttributeProto? a = node.Attribute.FirstOrDefault(x => x.Name == name);
        return a is null || a.Ints.Count == 0 ? fallback : [.. a.Ints];
    }

    private static long ReadInt(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(x => x.Name == name) is { } a ? a.I : fallback;

    private static float ReadFloat(NodeProto node, string name, float fallback) =>
        node.Attribute.FirstOrDefault(x => x.Name == name) is { } a ? a.F : fallback;

    /// <summary>Explicit begin/end pads of a pooling or convolution node, resolving auto_pad from the probed shapes.</summary>
    private static long[] Pads(NodeProto node, long[] input, long[] output, long[] kernel, long[] strides, long[] dilations)
    {
        int n = kernel.Length;
        string autoPad = node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (autoPad is "NOTSET" or "")
        {
            return ReadInts(node, "pads", new long[2 * n]);
        }

        var pads = new long[2 * n];
        if (autoPad == "VALID")
        {
            return pads;
        }

        for (int i = 0; i < n; i++)
        {
            long total = Math.Max(0, ((output[i + 2] - 1) * strides[i]) + ((kernel[i] - 1) * dilations[i]) + 1 - input[i + 2]);
            long small = total / 2;
            pads[i] = autoPad == "SAME_LOWER" ? total - small : small;
            pads[i + n] = total - pads[i];
        }

        return pads;
    }

    /// <summary>The output_padding that makes a ConvTranspose with the forward attributes give back the input's spatial size.</summary>
    private static long[] OutputPadding(NodeProto node, long[] input, long[] output, long[] kernel, long[] strides, long[] dilations, long[] pads)
    {
        int n = kernel.Length;
        var padding = new long[n];
        for (int i = 0; i < n; i++)
        {
            long produced = (strides[i] * (output[i + 2] - 1)) + ((kernel[i] - 1) * dilations[i]) + 1 - pads[i] - pads[i + n];
            padding[i] = input[i + 2] - produced;
            if (padding[i] < 0 || padding[i] >= Math.Max(strides[i], dilations[i]))
            {
                throw new NotSupportedException($"Node '{node.Name}' ({node.OpType}): input size {input[i + 2]} along spatial axis {i} cannot be reached by the transposed op (output {output[i + 2]}, kernel {kernel[i]}, stride {strides[i]}, pads {pads[i]}/{pads[i + n]}); ceil_mode or unusual padding is not supported.");
            }
        }

        return padding;
    }

    private void Conv(NodeProto node, string gy)
    {
        RequireConstant(node, 1, "weight");
        RequireConstant(node, 2, "bias");
        string x = node.Input[0];
        long[] xs = Shape(x);
        long[] ys = Shape(node.Output[0]);
        int n = xs.Length - 2;
        long[] kernel = ReadInts(node, "kernel_shape", []);
        if (kernel.Length == 0)
        {
            kernel = [.. Constant(node, 1, "weight").Dims.Skip(2)];
        }

        long[] strides = ReadInts(node, "strides", Enumerable.Repeat(1L, n).ToArray());
        long[] dilations = ReadInts(node, "dilations", Enumerable.Repeat(1L, n).ToArray());
        long[] pads = Pads(node, xs, ys, kernel, strides, dilations);
        long[] outputPadding = OutputPadding(node, xs, ys, kernel, strides, dilations, pads);

        // ∂L/∂x of y = conv(x, W) is conv_transpose(∂L/∂y, W) with the same group, strides, dilations and pads:
        // ConvTranspose reads W (M × C/group × k) as (in = M, out/group = C/group), exactly the adjoint.
        Add(x, _w.Node(
            "ConvTranspose",
            [gy, node.Input[1]],
            Int("group", ReadInt(node, "group", 1)),
            Ints("kernel_shape", kernel),
            Ints("strides", strides),
            Ints("dilations", dilations),
            Ints("pads", pads),
            Ints("output_padding", outputPadding)));
    }

    private void BatchNormalization(NodeProto node, string gy)
    {
        if (node.Output.Count(o => o.Length > 0) > 1)
        {
            throw new NotSupportedException($"Node '{node.Name}' (BatchNormalization) is in training mode (several outputs); only inference mode can be differentiated.");
        }

        for (int i = 1; i <= 4; i++)
        {
            RequireConstant(node, i, "scale, bias, mean and variance");
        }

        float[] scale = OnnxGraph.FloatData(Constant(node, 1, "scale"));
        float[] variance = OnnxGraph.FloatData(Constant(node, 4, "variance"));
        float epsilon = ReadFloat(node, "epsilon", 1e-5f);

        // Inference BN is a per-channel affine map y = a·x + c with a = scale / sqrt(var + ε).
        var factor = new float[scale.Length];
        for (int c = 0; c < factor.Length; c++)
        {
            factor[c] = (float)(scale[c] / Math.Sqrt(variance[c] + (double)epsilon));
        }

        string x = node.Input[0];
        int rank = Shape(x).Length;
        long[] dims = [factor.Length, .. Enumerable.Repeat(1L, Math.Max(0, rank - 2))];
        Add(x, _w.Node("Mul", [gy, _w.Constant(factor, dims, "bn_factor")]));
    }

    private void Elementwise(NodeProto node, string gy)
    {
        long[] ys = Shape(node.Output[0]);
        for (int i = 0; i < 2; i++)
        {
            string x = node.Input[i];
            if (!_relevant.Contains(x))
            {
                continue;
            }

            string g = node.OpType switch
            {
                "Sub" when i == 1 => _w.Node("Neg", [gy]),
                "Mul" => _w.Node("Mul", [gy, node.Input[1 - i]]),
                _ => gy,
            };
            Add(x, Unbroadcast(g, x, ys));
        }
    }

    /// <summary>Sums a gradient over the axes along which <paramref name="x"/> was broadcast to the output shape.</summary>
    private string Unbroadcast(string gradient, string x, long[] outputShape)
    {
        long[] xs = Shape(x);
        int offset = outputShape.Length - xs.Length;
        var axes = new List<long>();
        for (int a = 1; a < outputShape.Length; a++)
        {
            if (a < offset || (xs[a - offset] == 1 && outputShape[a] != 1))
            {
                axes.Add(a);
            }
        }

        if (axes.Count == 0 && offset == 0)
        {
            return gradient;
        }

        string summed = axes.Count == 0 ? gradient : _w.Node("ReduceSum", [gradient, _w.Int64Constant([.. axes])], Int("keepdims", 1));
        return _w.Node("Reshape", [summed, _w.Node("Shape", [x])]);
    }

    private void MaxPool(NodeProto node, string gy)
    {
        if (ReadInt(node, "storage_order", 0) != 0)
        {
            throw new NotSupportedException($"Node '{node.Name}' (MaxPool) uses column-major storage_order; only row-major is supported.");
        }

        // The forward node also emits its argmax (flat indices into the whole N×C×H×W input); the gradient of each
        // output element is added at that index. Windows overlap (3×3 stride 2), so the scatter must add.
        if (node.Output.Count < 2)
        {
            node.Output.Add(_w.NewName("maxpool_indices"));
        }
        else if (node.Output[1].Length == 0)
        {
            node.Output[1] = _w.NewName("maxpool_indices");
        }

        string x = node.Input[0];
        string minusOne = _w.Int64Constant([-1]);
        string flatX = _w.Node("Reshape", [x, minusOne]);
        string zeros = _w.Node("ConstantOfShape", [_w.Node("Shape", [flatX])]);
        string indices = _w.Node("Reshape", [node.Output[1], minusOne]);
        string values = _w.Node("Reshape", [gy, minusOne]);
        string scattered = _w.Node("ScatterElements", [zeros, indices, values], Int("axis", 0), GraphWriter.String("reduction", "add"));
        Add(x, _w.Node("Reshape", [scattered, _w.Node("Shape", [x])]));
    }

    private void AveragePool(NodeProto node, string gy)
    {
        string x = node.Input[0];
        long[] xs = Shape(x);
        long[] ys = Shape(node.Output[0]);
        int n = xs.Length - 2;
        long[] kernel = ReadInts(node, "kernel_shape", []);
        long[] strides = ReadInts(node, "strides", Enumerable.Repeat(1L, n).ToArray());
        long[] dilations = ReadInts(node, "dilations", Enumerable.Repeat(1L, n).ToArray());
        if (dilations.Any(d => d != 1))
        {
            throw new NotSupportedException($"Node '{node.Name}' (AveragePool) has dilations; not supported.");
        }

        long[] pads = Pads(node, xs, ys, kernel, strides, dilations);
        long[] outputPadding = OutputPadding(node, xs, ys, kernel, strides, dilations, pads);
        long channels = xs[1];
        long window = kernel.Aggregate(1L, (a, k) => a * k);

        // Each output is the mean of its window: spread gy / count back over the window with a depthwise
        // ConvTranspose of ones. count is k^n, or the in-bounds part of the window when padding is not counted.
        string scaled;
        if (ReadInt(node, "count_include_pad", 0) == 1 || pads.All(p => p == 0))
        {
            scaled = _w.Node("Mul", [gy, _w.Scalar(1f / window)]);
        }
        else
        {
            float[] counts = WindowCounts(xs, ys, kernel, strides, pads);
            scaled = _w.Node("Div", [gy, _w.Constant(counts, [1, 1, .. ys.Skip(2)], "avgpool_counts")]);
        }

        float[] ones = Enumerable.Repeat(1f, (int)(channels * window)).ToArray();
        string weight = _w.Constant(ones, [channels, 1, .. kernel], "avgpool_ones");
        Add(x, _w.Node(
            "ConvTranspose",
            [scaled, weight],
            Int("group", channels),
            Ints("kernel_shape", kernel),
            Ints("strides", strides),
            Ints("pads", pads),
            Ints("output_padding", outputPadding)));
    }

    /// <summary>How many in-bounds input elements each output window covers: a product of one count per spatial axis.</summary>
    private static float[] WindowCounts(long[] input, long[] output, long[] kernel, long[] strides, long[] pads)
    {
        int n = kernel.Length;
        var perAxis = new long[n][];
        for (int i = 0; i < n; i++)
        {
            perAxis[i] = new long[output[i + 2]];
            for (long o = 0; o < output[i + 2]; o++)
            {
                long start = (o * strides[i]) - pads[i];
                long end = Math.Min(start + kernel[i], input[i + 2]);
                perAxis[i][o] = end - Math.Max(start, 0);
            }
        }

        long total = output.Skip(2).Aggregate(1L, (a, d) => a * d);
        var counts = new float[total];
        for (long flat = 0; flat < total; flat++)
        {
            long rest = flat;
            long count = 1;
            for (int i = n - 1; i >= 0; i--)
            {
                count *= perAxis[i][rest % output[i + 2]];
                rest /= output[i + 2];
            }

            counts[flat] = count;
        }

        return counts;
    }

    private void Gemm(NodeProto node, string gy)
    {
        RequireConstant(node, 1, "B");
        RequireConstant(node, 2, "C");
        if (ReadInt(node, "transA", 0) != 0)
        {
            throw new NotSupportedException($"Node '{node.Name}' (Gemm) has transA = 1; only transA = 0 is supported.");
        }

        // y = α·x·B' + β·C  ⇒  ∂L/∂x = α·gy·B'ᵀ: the same B with transB flipped.
        long transB = ReadInt(node, "transB", 0);
        Add(node.Input[0], _w.Node("Gemm", [gy, node.Input[1]], Float("alpha", ReadFloat(node, "alpha", 1f)), Int("transB", 1 - transB)));
    }

    private void MatMul(NodeProto node, string gy)
    {
        RequireConstant(node, 1, "second input");
        string b = node.Input[1];
        if (Shape(node.Input[0]).Length < 2 || (_initializers.TryGetValue(b, out TensorProto? w) ? w.Dims.Count : 2) != 2)
        {
            throw new NotSupportedException($"Node '{node.Name}' (MatMul): only x (≥ 2-D) times a 2-D matrix is supported.");
        }

        Add(node.Input[0], _w.Node("MatMul", [gy, _w.Node("Transpose", [b], Ints("perm", [1, 0]))]));
    }
}
