using System.Diagnostics;
using System.Threading.Channels;
using SisomCluster.Inference.Decoding;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Extraction;

/// <summary>
/// read → decode (parallel) → batch → infer, as two stages joined by a bounded channel: the next
/// batch decodes on the CPU while the current one runs in ONNX Runtime. A fixed pool of batch
/// buffers keeps memory flat whatever the pool size (ARCHITECTURE.md §9); items keep source order.
/// Undecodable items become <see cref="ItemFailure"/>s and never stop the run.
/// </summary>
public sealed class EmbeddingPipeline
{
    private readonly FeatureExtractor _extractor;
    private readonly PipelineOptions _options;
    private readonly ImageDecoder _decoder;

    public EmbeddingPipeline(FeatureExtractor extractor, PipelineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        _extractor = extractor;
        _options = options ?? new PipelineOptions();
        _options.Validate();
        _decoder = new ImageDecoder(extractor.Model.Normalization, _options.Limits);
    }

    /// <summary>Runs over an in-memory or synchronous source (tests, small sets); see the asynchronous overload.</summary>
    public Task<PipelineStatistics> RunAsync(IEnumerable<SourceImage> source, Func<EmbeddedBatch, CancellationToken, ValueTask> onBatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RunAsync(source.ToAsyncEnumerable(), onBatch, cancellationToken);
    }

    /// <summary>
    /// Runs over a streamed source (a pool shard read by <c>IPoolSource.ReadAsync</c>): items are pulled one batch ahead of
    /// inference at most, so memory holds the batch slots and never the source.
    /// </summary>
    public async Task<PipelineStatistics> RunAsync(IAsyncEnumerable<SourceImage> source, Func<EmbeddedBatch, CancellationToken, ValueTask> onBatch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(onBatch);
        int pool = _options.QueuedBatches + 2;
        var free = Channel.CreateBounded<Slot>(pool);
        for (int i = 0; i < pool; i++)
        {
            free.Writer.TryWrite(new Slot(_options.BatchSize, _extractor));
        }

        var decoded = Channel.CreateBounded<Slot>(new BoundedChannelOptions(_options.QueuedBatches) { SingleReader = true, SingleWriter = true });
        var clock = Stopwatch.StartNew();
        long readTicks = 0;
        long decodeTicks = 0;
        long inferTicks = 0;
        int items = 0;
        int embedded = 0;
        int failed = 0;
        var readDecodeWindow = default(StageWindow);
        var inferWindow = default(StageWindow);

        Task producer = Task.Run(
            async () =>
            {
                try
                {
                    IAsyncEnumerator<SourceImage> e = source.GetAsyncEnumerator(cancellationToken);
                    await using var disposeSource = e.ConfigureAwait(false);
                    bool more = true;
                    while (more)
                    {
                        Slot slot = await free.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                        long t0 = Stopwatch.GetTimestamp();
                        slot.Items.Clear();
                        while (slot.Items.Count < _options.BatchSize && (more = await e.MoveNextAsync().ConfigureAwait(false)))
                        {
                            slot.Items.Add(e.Current);
                        }

                        readTicks += Stopwatch.GetTimestamp() - t0;
                        if (slot.Items.Count == 0)
                        {
                            break;
                        }

                        decodeTicks += Decode(slot, cancellationToken);
                        readDecodeWindow = readDecodeWindow.Include(t0, Stopwatch.GetTimestamp());
                        await decoded.Writer.WriteAsync(slot, cancellationToken).ConfigureAwait(false);
                    }

                    decoded.Writer.Complete();
                }
                catch (Exception ex)
                {
                    decoded.Writer.Complete(ex);
                }
            },
            cancellationToken);

        try
        {
            await foreach (Slot slot in decoded.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                EmbeddedBatch batch = slot.Batch;
                items += slot.Items.Count;
                failed += batch.Failures.Count;
                if (batch.Count > 0)
                {
                    // The session runs one batch at a time (another shard's pipeline may hold it): the stage counts the run, not the wait.
                    TimeSpan ran = await _extractor.RunAsync(slot.Inputs, batch.Count, batch.Features, _extractor.ClassCount is null ? default : batch.Logits, slot.LayerStateBuffers, cancellationToken).ConfigureAwait(false);
                    long t1 = Stopwatch.GetTimestamp();
                    long t0 = t1 - (long)(ran.TotalSeconds * Stopwatch.Frequency);
                    inferTicks += t1 - t0;
                    inferWindow = inferWindow.Include(t0, t1);
                    embedded += batch.Count;
                }

                await onBatch(batch, cancellationToken).ConfigureAwait(false);
                free.Writer.TryWrite(slot);
            }
        }
        catch
        {
            // Inference or the callback failed: release the producer, which may be waiting for a free slot or
            // for room in the decoded queue; closing both makes either wait throw.
            decoded.Writer.TryComplete();
            free.Writer.TryComplete();
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await producer.ConfigureAwait(false);
        return new PipelineStatistics(items, embedded, failed, clock.Elapsed, Stopwatch.GetElapsedTime(0, readTicks), Stopwatch.GetElapsedTime(0, decodeTicks), Stopwatch.GetElapsedTime(0, inferTicks))
        {
            ReadDecodeWindow = readDecodeWindow,
            InferenceWindow = inferWindow,
        };
    }

    /// <summary>Decodes a slot's items in parallel into their input rows, then packs the good ones to the front.</summary>
    private long Decode(Slot slot, CancellationToken cancellationToken)
    {
        int n = slot.Items.Count;
        int length = _extractor.InputLength;
        long ticks = 0;
        Parallel.For(
            0,
            n,
            new ParallelOptions { MaxDegreeOfParallelism = _options.DecodeThreads == 0 ? -1 : _options.DecodeThreads, CancellationToken = cancellationToken },
            () => 0L,
            (i, _, local) =>
            {
                long t0 = Stopwatch.GetTimestamp();
                slot.Results[i] = _decoder.Decode(slot.Items[i].Bytes.Span, slot.Inputs.AsSpan(i * length, length));
                return local + (Stopwatch.GetTimestamp() - t0);
            },
            local => Interlocked.Add(ref ticks, local));

        EmbeddedBatch batch = slot.Batch;
        batch.Failures.Clear();
        int good = 0;
        for (int i = 0; i < n; i++)
        {
            DecodeResult result = slot.Results[i];
            if (!result.Success)
            {
                batch.Failures.Add(new ItemFailure(slot.Items[i].Id, result.Failure!.Value, result.Detail ?? string.Empty));
                continue;
            }

            if (good != i)
            {
                slot.Inputs.AsSpan(i * length, length).CopyTo(slot.Inputs.AsSpan(good * length, length));
            }

            batch.Ids[good++] = slot.Items[i].Id;
        }

        batch.Count = good;
        return ticks;
    }

    private sealed class Slot
    {
        public Slot(int capacity, FeatureExtractor extractor)
        {
            Inputs = new float[capacity * extractor.InputLength];
            Results = new DecodeResult[capacity];
            Batch = new EmbeddedBatch(capacity, extractor.FeatureDimension, extractor.ClassCount ?? 0, extractor.StateLayers);
            LayerStateBuffers = Batch.LayerStates.Select(a => (Memory<float>)a).ToArray();
        }

        public Memory<float>[] LayerStateBuffers { get; }

        public List<SourceImage> Items { get; } = [];

        public float[] Inputs { get; }

        public DecodeResult[] Results { get; }

        public EmbeddedBatch Batch { get; }
    }
}
