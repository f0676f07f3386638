using System.Diagnostics;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// This machine's float32 GEMM rate, measured rather than computed from assumed clocks: ONNX Runtime's MatMul (MLAS, an
/// optimised BLAS-class kernel for this CPU's ISA) on all cores, for an M × K by K × N product the size of the kernel's work.
/// </summary>
public sealed record CoreSgemm(int M, int N, int K, int Threads, double Gflops, string Library)
{
    /// <summary>The best of repeated runs (after one warm-up) until <paramref name="seconds"/> have passed, at least 3 runs.</summary>
    public static CoreSgemm Measure(int m, int n, int k, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var model = new ModelProto { IrVersion = 8, ProducerName = "sisom-bench-core" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        model.Graph = new GraphProto { Name = "sgemm" };
        model.Graph.Input.Add(Value("A", m, k));
        model.Graph.Input.Add(Value("B", k, n));
        model.Graph.Output.Add(Value("Y", m, n));
        model.Graph.Node.Add(new NodeProto { OpType = "MatMul", Name = "sgemm", Input = { "A", "B" }, Output = { "Y" } });
        int threads = Environment.ProcessorCount;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var random = new Random(1);
        float[] a = Fill(random, m * k);
        float[] b = Fill(random, k * n);
        using OrtValue av = OrtValue.CreateTensorValueFromMemory(a, [m, k]);
        using OrtValue bv = OrtValue.CreateTensorValueFromMemory(b, [k, n]);
        using var runOptions = new RunOptions();
        string[] inputNames = ["A", "B"];
        OrtValue[] inputs = [av, bv];
        string[] outputNames = ["Y"];
        using (session.Run(runOptions, inputNames, inputs, outputNames))
        {
        }

        double best = double.PositiveInfinity;
        var total = Stopwatch.StartNew();
        for (int run = 0; run < 3 || total.Elapsed.TotalSeconds < seconds; run++)
        {
            var sw = Stopwatch.StartNew();
            using (session.Run(runOptions, inputNames, inputs, outputNames))
            {
            }

            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return new CoreSgemm(m, n, k, threads, 2.0 * m * n * k / best / 1e9, "ONNX Runtime MatMul (MLAS)");
    }

    private static float[] Fill(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        return values;
    }

    private static ValueInfoProto Value(string name, int rows, int columns) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)TensorProto.Types.DataType.Float,
                Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = rows }, new TensorShapeProto.Types.Dimension { DimValue = columns } } },
            },
        },
    };
}
