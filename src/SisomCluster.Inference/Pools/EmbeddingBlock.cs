namespace SisomCluster.Inference.Pools;

/// <summary>
/// Consecutive rows of a stored-embeddings shard read together (<see cref="EmbeddingsPoolSource.ReadBlocksAsync"/>): their
/// ids and features, row-major, exactly <see cref="Count"/> × <see cref="Dimension"/> values. The arrays are the caller's.
/// </summary>
public sealed record EmbeddingBlock(string[] Ids, float[] Features, int Dimension)
{
    /// <summary>Rows in the block.</summary>
    public int Count => Ids.Length;
}
