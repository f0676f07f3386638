namespace SisomCluster.Core.Neighbours;

/// <summary>How the exact neighbour search is blocked and parallelised. Results do not depend on any of it.</summary>
public sealed record NeighbourSearchOptions
{
    public static NeighbourSearchOptions Default { get; } = new();

    /// <summary>Queries per parallel work item.</summary>
    public int QueryBlockSize { get; init; } = 64;

    /// <summary>References per cache block; null = as many as fit in <see cref="AutoBlockBytes"/> (about half an L2).</summary>
    public int? ReferenceBlockSize { get; init; }

    /// <summary>Target size of one reference block when <see cref="ReferenceBlockSize"/> is null.</summary>
    public const int AutoBlockBytes = 192 * 1024;

    /// <summary>The float32 kernel (results are the same with every one); null = <see cref="KernelSelection.Current"/>.</summary>
    public KernelIsa? Kernel { get; init; }

    /// <summary>
    /// Threads for the searches' work items; -1 = one per core. Building a large pack (copies, norms, centring, panels) runs
    /// on the thread pool whatever this says: a pack is built once and shared, and its contents do not depend on threads.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>The reference block for rows of <paramref name="rowBytes"/> bytes: a multiple of the kernel's tile width.</summary>
    internal int ReferenceBlockFor(int rowBytes) =>
        ReferenceBlockSize ?? Math.Max(DistanceKernel.TileReferences, AutoBlockBytes / Math.Max(1, rowBytes) / DistanceKernel.TileReferences * DistanceKernel.TileReferences);

    internal void Validate()
    {
        if (Kernel is { } kernel && !KernelSelection.IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"Kernel {kernel} is not accelerated on this machine (best: {KernelSelection.Best}).");
        }

        if (QueryBlockSize < 1)
        {
            throw new ArgumentException($"QueryBlockSize must be >= 1, got {QueryBlockSize}.", nameof(QueryBlockSize));
        }

        if (ReferenceBlockSize is < 1)
        {
            throw new ArgumentException($"ReferenceBlockSize must be >= 1, got {ReferenceBlockSize}.", nameof(ReferenceBlockSize));
        }

        if (MaxDegreeOfParallelism == 0 || MaxDegreeOfParallelism < -1)
        {
            throw new ArgumentException($"MaxDegreeOfParallelism must be -1 or >= 1, got {MaxDegreeOfParallelism}.", nameof(MaxDegreeOfParallelism));
        }
    }
}
