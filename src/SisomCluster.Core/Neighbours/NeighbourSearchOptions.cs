namespace SisomCluster.Core.Neighbours;

/// <summary>How the exact neighbour search is blocked and parallelised. Results do not depend on any of it.</summary>
public sealed record NeighbourSearchOptions
{
    public static NeighbourSearchOptions Default { get; } = new();

    /// <summary>Queries per parallel work item.</summary>
    public int QueryBlockSize { get; init; } = 64;

    /// <summary>References per cache block (192 × 512 floats = 384 KiB, about one L2).</summary>
    public int ReferenceBlockSize { get; init; } = 192;

    /// <summary>-1 = all cores.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal void Validate()
    {
        if (QueryBlockSize < 1)
        {
            throw new ArgumentException($"QueryBlockSize must be >= 1, got {QueryBlockSize}.", nameof(QueryBlockSize));
        }

        if (ReferenceBlockSize < 1)
        {
            throw new ArgumentException($"ReferenceBlockSize must be >= 1, got {ReferenceBlockSize}.", nameof(ReferenceBlockSize));
        }

        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
        {
            throw new ArgumentException($"MaxDegreeOfParallelism must be -1 or >= 1, got {MaxDegreeOfParallelism}.", nameof(MaxDegreeOfParallelism));
        }
    }
}
