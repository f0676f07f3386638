namespace SisomCluster.Inference.Pools;

/// <summary>How a pool's items are stored; picks the <see cref="IPoolSource"/> that lists and reads them.</summary>
public enum PoolSourceKind
{
    /// <summary>A directory tree of image files.</summary>
    Directory,

    /// <summary>A CSV or JSONL file naming one image file per line.</summary>
    Manifest,

    /// <summary>WebDataset tar shards.</summary>
    Tar,

    /// <summary>Stored embeddings (an N×D .npy plus an ids file), for re-scoring without images.</summary>
    Embeddings,
}
