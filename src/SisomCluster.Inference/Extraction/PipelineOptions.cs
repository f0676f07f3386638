using SisomCluster.Inference.Decoding;

namespace SisomCluster.Inference.Extraction;

/// <summary>Sizes of the read → decode → batch → infer pipeline.</summary>
public sealed record PipelineOptions
{
    public int BatchSize { get; init; } = 32;

    /// <summary>Parallel decoders; 0 = one per core.</summary>
    public int DecodeThreads { get; init; }

    /// <summary>Decoded batches waiting for inference (the bounded channel between the stages).</summary>
    public int QueuedBatches { get; init; } = 2;

    public DecodeLimits Limits { get; init; } = DecodeLimits.Default;

    internal void Validate()
    {
        if (BatchSize < 1 || DecodeThreads < 0 || QueuedBatches < 1)
        {
            throw new ArgumentException($"Pipeline options need BatchSize >= 1, DecodeThreads >= 0, QueuedBatches >= 1 (got {BatchSize}, {DecodeThreads}, {QueuedBatches}).", nameof(BatchSize));
        }

        Limits.Validate();
    }
}
