namespace SisomCluster.Inference.Extraction;

/// <summary>What one pipeline run did and where its time went (stage times are summed over threads).</summary>
public sealed record PipelineStatistics(int Items, int Embedded, int Failed, TimeSpan Elapsed, TimeSpan ReadTime, TimeSpan DecodeTime, TimeSpan InferenceTime)
{
    public double ItemsPerSecond => Items / Math.Max(Elapsed.TotalSeconds, 1e-9);

    /// <summary>When reading and decoding (one producer, batch after batch) were active.</summary>
    public StageWindow ReadDecodeWindow { get; init; }

    /// <summary>When inference was active.</summary>
    public StageWindow InferenceWindow { get; init; }
}
