namespace SisomCluster.Inference.Npy;

/// <summary>The element types the tool reads and writes: little-endian IEEE floats, the dtypes feature extractors emit.</summary>
public enum NpyDataType
{
    /// <summary><c>&lt;f4</c>.</summary>
    Float32,

    /// <summary><c>&lt;f8</c>.</summary>
    Float64,
}
