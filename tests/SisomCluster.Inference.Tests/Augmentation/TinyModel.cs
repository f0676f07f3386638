using Onnx;

namespace SisomCluster.Inference.Tests.Augmentation;

/// <summary>Builds small ONNX graphs with seeded random weights, to exercise every op the augmenter differentiates.</summary>
public sealed class TinyModel
{
    private readonly ModelProto _model = new() { IrVersion = 8, ProducerName = "sisom-tests" };
    private readonly Random _random;

    public TinyModel(int seed, string input, params long[] shape)
    {
        _random = new Random(seed);
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        _model.Graph = new GraphProto { Name = "tiny" };
        _model.Graph.Input.Add(Value(input, [null, .. shape]));
        InputShape = shape;
    }

    public long[] InputShape { get; }

    public ModelProto Model => _model;

    public string Weight(string name, params long[] dims)
    {
        long count = dims.Aggregate(1L, (a, d) => a * d);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(Enumerable.Range(0, (int)count).Select(_ => (float)((_random.NextDouble() * 2) - 1) * 0.5f));
        _model.Graph.Initializer.Add(tensor);
        return name;
    }

    public string Positive(string name, params long[] dims)
    {
        string w = Weight(name, dims);
        TensorProto tensor = _model.Graph.Initializer.Single(t => t.Name == w);
        for (int i = 0; i < tensor.FloatData.Count; i++)
        {
            tensor.FloatData[i] = 0.5f + Math.Abs(tensor.FloatData[i]);
        }

        return w;
    }

    public string Ints(string name, params long[] values)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _model.Graph.Initializer.Add(tensor);
        return name;
    }

    public string Node(string op, string output, string[] inputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = output + "_node" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        _model.Graph.Node.Add(node);
        return output;
    }

    public void Output(string name, params long?[] shape) => _model.Graph.Output.Add(Value(name, [null, .. shape]));

    public static AttributeProto I(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto F(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Is(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    private static ValueInfoProto Value(string name, long?[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (long? d in shape)
        {
            tensorShape.Dim.Add(d is { } v ? new TensorShapeProto.Types.Dimension { DimValue = v } : new TensorShapeProto.Types.Dimension { DimParam = "N" });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } } };
    }
}
