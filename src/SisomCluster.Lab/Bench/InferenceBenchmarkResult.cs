namespace SisomCluster.Lab.Bench;

/// <summary>One batch size of `sisom bench inference`.</summary>
public sealed record InferenceBenchmarkResult(int BatchSize, int Images, double DecodePerSecond, double InferencePerSecond, double PipelinedPerSecond, long PeakWorkingSetBytes)
{
    public string Id => $"inference.resnet18.b{BatchSize}";

    /// <summary>Pipelined rate over the slower stage: 1.0 means the pipeline hides the faster stage completely.</summary>
    public double PipelineEfficiency => PipelinedPerSecond / Math.Min(DecodePerSecond, InferencePerSecond);
}
