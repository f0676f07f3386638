namespace SisomCluster.Inference.Extraction;

/// <summary>Where ONNX Runtime runs the model.</summary>
public enum ExecutionProvider
{
    /// <summary>Try CUDA; fall back to CPU with the reason recorded.</summary>
    Auto,

    Cpu,

    /// <summary>CUDA or an error: a worker asked for a GPU should not crawl along on CPU unnoticed.</summary>
    Cuda,
}
