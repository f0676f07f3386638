using Onnx;

namespace SisomCluster.Inference.Augmentation;

/// <summary>Appends nodes and constants to a graph under one name prefix, so generated names never collide with the model's.</summary>
internal sealed class GraphWriter(GraphProto graph, string prefix)
{
    private int _counter;

    public GraphProto Graph { get; } = graph;

    public string NewName(string hint) => $"{prefix}{hint}_{_counter++}";

    /// <summary>Adds a single-output node and returns its output name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string output = NewName(opType);
        var node = new NodeProto { OpType = opType, Name = output + "/node" };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    public string Constant(float[] values, long[] dims, string hint = "const")
    {
        var tensor = new TensorProto { Name = NewName(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Int64Constant(long[] values, string hint = "ints")
    {
        var tensor = new TensorProto { Name = NewName(hint), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public string Scalar(float value, string hint = "scalar")
    {
        var tensor = new TensorProto { Name = NewName(hint), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(value) };
}
