using Microsoft.ML.OnnxRuntime;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Extraction;

/// <summary>
/// One ONNX Runtime session per model, shared by every caller (Run is thread-safe). Inputs and
/// outputs are wrapped around the caller's buffers with the OrtValue API, so a batch costs no
/// copies and no managed allocations beyond a few small wrappers.
/// </summary>
public sealed class FeatureExtractor : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[][] _outputShapes;
    private readonly int[] _outputLengths;

    public FeatureExtractor(ModelPackage model, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ExtractorOptions();
        options.Validate();
        Model = model;
        ModelManifest m = model.Manifest;
        (_session, Provider, FallbackReason) = CreateSession(model.ModelBytes, options);

        InputLength = m.Input.Channels * m.Input.Height * m.Input.Width;
        _inputNames = [m.Input.Name];
        var outputs = new List<string> { m.Outputs.Features };
        if (m.Outputs.Logits is { } logits)
        {
            outputs.Add(logits);
        }

        outputs.AddRange(m.Outputs.LayerStates.Select(l => l.Name));
        _outputNames = [.. outputs];
        _outputShapes = new long[_outputNames.Length][];
        _outputLengths = new int[_outputNames.Length];
        for (int i = 0; i < _outputNames.Length; i++)
        {
            int[] dims = _session.OutputMetadata[_outputNames[i]].Dimensions;
            if (dims.Skip(1).Any(d => d < 1))
            {
                throw new InvalidDataException($"{model.ModelPath}: output '{_outputNames[i]}' has a dynamic dimension after the batch ({string.Join("x", dims)}); only the batch may vary.");
            }

            _outputShapes[i] = dims.Select(d => (long)d).ToArray();
            _outputLengths[i] = dims.Skip(1).Aggregate(1, (a, d) => a * d);
        }

        if (_outputLengths[0] != m.FeatureDimension)
        {
            throw new InvalidDataException($"{model.ModelPath}: features output gives {_outputLengths[0]} values per item, the manifest says {m.FeatureDimension}.");
        }

        if (m.Outputs.Logits is not null && _outputLengths[1] != m.ClassCount)
        {
            throw new InvalidDataException($"{model.ModelPath}: logits output gives {_outputLengths[1]} values per item, the manifest says {m.ClassCount}.");
        }
    }

    public ModelPackage Model { get; }

    /// <summary>"cuda" or "cpu": the provider the session actually runs on.</summary>
    public string Provider { get; }

    /// <summary>Why CUDA was not used under <see cref="ExecutionProvider.Auto"/>; null when it was, or was not asked for.</summary>
    public string? FallbackReason { get; }

    /// <summary>C×H×W floats per item.</summary>
    public int InputLength { get; }

    public int FeatureDimension => Model.Manifest.FeatureDimension;

    public int? ClassCount => Model.Manifest.ClassCount;

    /// <summary>Values per item of each layer-state output, in manifest order.</summary>
    public IReadOnlyList<int> LayerStateLengths => _outputLengths.Skip(Model.Manifest.Outputs.Logits is null ? 1 : 2).ToArray();

    /// <summary>
    /// The layer states this model outputs, as Core records them: the layer tensor's name (the output's when the
    /// manifest does not say), α and width; empty for a plain model.
    /// </summary>
    public IReadOnlyList<Core.States.StateLayer> StateLayers =>
        Model.Manifest.Outputs.LayerStates.Zip(LayerStateLengths, (l, width) => new Core.States.StateLayer(l.Tensor ?? l.Name, l.Alpha, width)).ToArray();

    /// <summary>
    /// Runs <paramref name="count"/> items whose inputs fill the start of <paramref name="inputs"/>
    /// (count × InputLength). Writes count × D features, count × K logits when the model has them,
    /// and each layer state's values when asked for.
    /// </summary>
    public void Run(Memory<float> inputs, int count, Memory<float> features, Memory<float> logits = default, IReadOnlyList<Memory<float>>? layerStates = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (inputs.Length < count * InputLength)
        {
            throw new ArgumentException($"inputs hold {inputs.Length} floats, {count} items need {count * InputLength}.", nameof(inputs));
        }

        var destinations = new Memory<float>[_outputNames.Length];
        destinations[0] = features;
        int next = 1;
        if (Model.Manifest.Outputs.Logits is not null)
        {
            destinations[next++] = logits;
        }

        for (int j = 0; next < destinations.Length; j++, next++)
        {
            destinations[next] = layerStates is not null && j < layerStates.Count ? layerStates[j] : new float[count * _outputLengths[next]];
        }

        ModelManifest m = Model.Manifest;
        var disposables = new List<OrtValue>(1 + destinations.Length);
        try
        {
            OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, inputs[..(count * InputLength)], [count, m.Input.Channels, m.Input.Height, m.Input.Width]);
            disposables.Add(input);
            var outputs = new OrtValue[destinations.Length];
            for (int i = 0; i < destinations.Length; i++)
            {
                int length = count * _outputLengths[i];
                if (destinations[i].Length < length)
                {
                    throw new ArgumentException($"The buffer for output '{_outputNames[i]}' holds {destinations[i].Length} floats, {count} items need {length}.", nameof(features));
                }

                long[] shape = (long[])_outputShapes[i].Clone();
                shape[0] = count;
                outputs[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, destinations[i][..length], shape);
                disposables.Add(outputs[i]);
            }

            using var runOptions = new RunOptions();
            _session.Run(runOptions, _inputNames, [input], _outputNames, outputs);
        }
        finally
        {
            foreach (OrtValue value in disposables)
            {
                value.Dispose();
            }
        }
    }

    public void Dispose() => _session.Dispose();

    private static (InferenceSession Session, string Provider, string? FallbackReason) CreateSession(byte[] model, ExtractorOptions options)
    {
        string? reason = null;
        if (options.Provider != ExecutionProvider.Cpu)
        {
            SessionOptions? cuda = null;
            try
            {
                cuda = NewOptions(options);
                cuda.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                var session = new InferenceSession(model, cuda);
                return (session, "cuda", null);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or InvalidOperationException)
            {
                // The CPU package has no CUDA provider; the GPU package throws when CUDA libraries or a device are missing.
                if (options.Provider == ExecutionProvider.Cuda)
                {
                    throw new InvalidOperationException($"CUDA execution was requested but is unavailable: {e.Message}", e);
                }

                reason = e.Message;
            }
            finally
            {
                cuda?.Dispose();
            }
        }

        using SessionOptions cpu = NewOptions(options);
        return (new InferenceSession(model, cpu), "cpu", reason);
    }

    private static SessionOptions NewOptions(ExtractorOptions options) =>
        new()
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,

            // Warnings (e.g. a CUDA library that will not load) reach the caller as FallbackReason instead of the console.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
}
