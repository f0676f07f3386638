namespace SisomCluster.Inference.Extraction;

/// <summary>Options of a <see cref="FeatureExtractor"/>.</summary>
public sealed record ExtractorOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Auto;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 = its default (all cores).</summary>
    public int IntraOpThreads { get; init; }

    public int CudaDeviceId { get; init; }

    internal void Validate()
    {
        if (IntraOpThreads < 0)
        {
            throw new ArgumentException($"IntraOpThreads must be >= 0, got {IntraOpThreads}.", nameof(IntraOpThreads));
        }

        if (CudaDeviceId < 0)
        {
            throw new ArgumentException($"CudaDeviceId must be >= 0, got {CudaDeviceId}.", nameof(CudaDeviceId));
        }
    }
}
