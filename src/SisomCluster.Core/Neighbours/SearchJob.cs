using System.Numerics;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// One exact k-smallest search: every row of <see cref="Queries"/> against every row of
/// <see cref="References"/>, keeping the k best (squared distance, reference index) pairs ordered
/// by distance, then by the lower reference index (SISOM.md §5: lowest index on ties).
/// </summary>
internal sealed class SearchJob<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public SearchJob(PackedRows<T> queries, PackedRows<T> references, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (queries.Stride != references.Stride)
        {
            throw new ArgumentException("Queries and references must have the same dimension.", nameof(references));
        }

        Queries = queries;
        References = references;
        K = k;
        BestDistance = new double[queries.Count * k];
        BestIndex = new int[queries.Count * k];
        Array.Fill(BestDistance, double.PositiveInfinity);
        Array.Fill(BestIndex, int.MaxValue);
    }

    public PackedRows<T> Queries { get; }

    public PackedRows<T> References { get; }

    public int K { get; }

    /// <summary>Per query: a reference source index to skip (leave-one-out by identity), or −1.</summary>
    public int[]? ExcludeIndex { get; init; }

    /// <summary>Per query: a label whose references are skipped (margins: other classes only), or −1.</summary>
    public int[]? ExcludeLabel { get; init; }

    /// <summary>Labels of the references by source index; needed with <see cref="ExcludeLabel"/>.</summary>
    public int[]? ReferenceLabels { get; init; }

    /// <summary>Squared distances, Queries.Count × K; +∞ where fewer than K references qualified.</summary>
    public double[] BestDistance { get; }

    /// <summary>Reference source indices, Queries.Count × K; <see cref="int.MaxValue"/> where none.</summary>
    public int[] BestIndex { get; }

    /// <summary>Whether slot <paramref name="rank"/> (0-based) of query <paramref name="query"/> holds a reference.</summary>
    public bool Has(int query, int rank) => BestIndex[(query * K) + rank] != int.MaxValue;

    public double Distance(int query, int rank) => Math.Sqrt(BestDistance[(query * K) + rank]);

    public int Index(int query, int rank) => BestIndex[(query * K) + rank];
}
