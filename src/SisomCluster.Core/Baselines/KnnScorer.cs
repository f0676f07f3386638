using System.Numerics.Tensors;
using SisomCluster.Core.Neighbours;

namespace SisomCluster.Core.Baselines;

/// <summary>
/// The deep-kNN baseline (Sun et al. 2022; SISOM.md §7): the distance from a query's L2-normalised
/// penultimate feature to the k-th nearest L2-normalised reference feature, class-agnostic.
/// Reported as a positive distance, so higher = more OOD.
/// </summary>
public sealed class KnnScorer
{
    public const int DefaultK = 50;

    private readonly PackedRows<float> _reference;
    private readonly NeighbourSearchOptions _search;

    public KnnScorer(FeatureMatrix referenceFeatures, int k = DefaultK, NeighbourSearchOptions? search = null)
    {
        ArgumentNullException.ThrowIfNull(referenceFeatures);
        if (referenceFeatures.Rows == 0)
        {
            throw new ArgumentException("The KNN reference set is empty.", nameof(referenceFeatures));
        }

        if (k < 1)
        {
            throw new ArgumentException($"k must be >= 1, got {k}.", nameof(k));
        }

        referenceFeatures.EnsureFinite("reference features");
        _search = search ?? NeighbourSearchOptions.Default;
        _search.Validate();
        K = Math.Min(k, referenceFeatures.Rows);
        _reference = PackedRows<float>.All(Normalise(referenceFeatures));
    }

    /// <summary>The k in use: min(requested k, |T|).</summary>
    public int K { get; }

    public double[] KthDistance(FeatureMatrix queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Columns != _reference.Dimension)
        {
            throw new ArgumentException($"queries have D = {queries.Columns}, the reference set has D = {_reference.Dimension}.", nameof(queries));
        }

        queries.EnsureFinite(nameof(queries));
        var job = new SearchJob<float>(PackedRows<float>.All(Normalise(queries)), _reference, K);
        NeighbourSearch.Run([job], _search);
        var result = new double[queries.Rows];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = job.Distance(i, K - 1);
        }

        return result;
    }

    /// <summary>Row-wise x / ‖x‖ (a zero row stays zero).</summary>
    private static FeatureMatrix Normalise(FeatureMatrix m)
    {
        var copy = FeatureMatrix.Zeros(m.Rows, m.Columns);
        for (int i = 0; i < m.Rows; i++)
        {
            float norm = TensorPrimitives.Norm(m.Row(i));
            if (norm > 0)
            {
                TensorPrimitives.Divide(m.Row(i), norm, copy.RowSpan(i));
            }
        }

        return copy;
    }
}
