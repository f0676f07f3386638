using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using SisomCluster.Inference.Models;

namespace SisomCluster.Inference.Extraction;

/// <summary>
/// One ONNX Runtime session per model, shared by every caller. Inputs and outputs are wrapped around the caller's
/// buffers with the OrtValue API, so a batch costs no copies and no managed allocations beyond a few small wrappers.
/// Where one batch already spreads over every core (<see cref="TakesTurns"/>), callers take turns: one batch runs at a
/// time on the session (<see cref="RunAsync"/> waits for its turn without blocking a thread), since two at once (a
/// worker's two shards in flight) only make the same threads compete for the same cores; measured in
/// docs/results/cluster-reference.md.
/// </summary>
public sealed class FeatureExtractor : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly long[][] _outputShapes;
    private readonly int[] _outputLengths;

    // Not disposed: it never allocates a wait handle, and a caller still waiting or releasing must not meet a disposed one.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private int _running;
    private int _peakRunning;

    public FeatureExtractor(ModelPackage model, ExtractorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ExtractorOptions();
        options.Validate();
        Model = model;
        ModelManifest m = model.Manifest;
        (_session, Provider, FallbackReason) = CreateSession(model.ModelBytes, options);
        TakesTurns = Provider == "cpu" && (options.IntraOpThreads == 0 || options.IntraOpThreads >= Environment.ProcessorCount);

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

    /// <summary>
    /// Whether callers take turns: a CPU session whose intra-op threads are the default (every core) or at least the
    /// machine's cores. A session given fewer threads (several per machine) or running on CUDA lets callers run side by side.
    /// </summary>
    public bool TakesTurns { get; }

    /// <summary>The most batches that ever ran on the session at once (tests: 1 where it <see cref="TakesTurns"/>).</summary>
    internal int PeakRunning => Volatile.Read(ref _peakRunning);

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
    /// and each layer state's values when asked for. Waits while another caller's batch runs (<see cref="TakesTurns"/>):
    /// a synchronous call that blocks for its batch anyway, made by one-at-a-time tools and benchmarks; concurrent callers
    /// (a worker's shards, through the embedding pipeline) use <see cref="RunAsync"/>, whose wait holds no thread.
    /// </summary>
    public void Run(Memory<float> inputs, int count, Memory<float> features, Memory<float> logits = default, IReadOnlyList<Memory<float>>? layerStates = null)
    {
        if (!TakesTurns)
        {
            RunNow(inputs, count, features, logits, layerStates);
            return;
        }

        _turn.Wait();
        try
        {
            RunNow(inputs, count, features, logits, layerStates);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// <see cref="Run"/> for asynchronous callers (the embedding pipeline): the wait for the session's turn holds no thread.
    /// Returns how long the batch itself ran, the wait excluded.
    /// </summary>
    public async ValueTask<TimeSpan> RunAsync(Memory<float> inputs, int count, Memory<float> features, Memory<float> logits = default, IReadOnlyList<Memory<float>>? layerStates = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!TakesTurns)
        {
            return RunNow(inputs, count, features, logits, layerStates);
        }

        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return RunNow(inputs, count, features, logits, layerStates);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Runs the batch on the session now (the caller has its turn, or none is needed); returns how long it ran.</summary>
    private TimeSpan RunNow(Memory<float> inputs, int count, Memory<float> features, Memory<float> logits, IReadOnlyList<Memory<float>>? layerStates)
    {
        long start = Stopwatch.GetTimestamp();
        int running = Interlocked.Increment(ref _running);
        try
        {
            int peak;
            while (running > (peak = Volatile.Read(ref _peakRunning)) && Interlocked.CompareExchange(ref _peakRunning, running, peak) != peak)
            {
            }

            RunOnSession(inputs, count, features, logits, layerStates);
            return Stopwatch.GetElapsedTime(start);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private void RunOnSession(Memory<float> inputs, int count, Memory<float> features, Memory<float> logits, IReadOnlyList<Memory<float>>? layerStates)
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

    private static SessionOptions NewOptions(ExtractorOptions options)
    {
        var session = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,

            // Warnings (e.g. a CUDA library that will not load) reach the caller as FallbackReason instead of the console.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };

        // Intra-op threads sleep between parallel sections instead of spinning for the next one, leaving the cores to what
        // runs beside the model in the same process (the next batch's decoding, another shard's reading, the scoring and the
        // commit). With a worker's two shards in flight, taking turns helped only together with this; a lone pipeline runs
        // at the same rate either way (docs/results/cluster-reference.md, measured on the 2-core machine).
        session.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return session;
    }
}
