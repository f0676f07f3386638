using System.Numerics.Tensors;
using SisomCluster.Core.Neighbours;

namespace SisomCluster.Core.Baselines;

/// <summary>
/// The deep-kNN score (Sun et al. 2022; SISOM.md §7, §7.1): the distance from a query's L2-normalised
/// penultimate feature to the k-th nearest L2-normalised reference feature, class-agnostic.
/// Reported as a positive distance, so higher = more OOD. A query that is itself a reference item is
/// scored without itself (leave-one-out by identity, SISOM.md §5); with fewer eligible references than k,
/// the farthest eligible one is used.
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
        RequestedK = k;
        K = Math.Min(k, referenceFeatures.Rows);
        ReferenceFeatures = referenceFeatures;
        _reference = PackedRows<float>.All(Normalise(referenceFeatures));
    }

    /// <summary>The k asked for (what a scoring context stores).</summary>
    public int RequestedK { get; }

    /// <summary>The k in use: min(requested k, |T|).</summary>
    public int K { get; }

    /// <summary>The reference features h as given (not normalised): what a stored context keeps.</summary>
    public FeatureMatrix ReferenceFeatures { get; }

    public int Count => _reference.Count;

    public double[] KthDistance(FeatureMatrix queries) => KthDistance(queries, default);

    /// <summary>
    /// The k-th nearest distance of each query. <paramref name="memberIndex"/>[i] ≥ 0 marks query i as reference item
    /// memberIndex[i], which is then skipped by identity (never by distance); empty = no query is a member.
    /// </summary>
    public double[] KthDistance(FeatureMatrix queries, ReadOnlySpan<int> memberIndex)
    {
        ArgumentNullException.ThrowIfNull(queries);
        if (queries.Columns != _reference.Dimension)
        {
            throw new ArgumentException($"queries have D = {queries.Columns}, the reference set has D = {_reference.Dimension}.", nameof(queries));
        }

        if (!memberIndex.IsEmpty && memberIndex.Length != queries.Rows)
        {
            throw new ArgumentException($"{memberIndex.Length} member indices given for {queries.Rows} queries.", nameof(memberIndex));
        }

        queries.EnsureFinite(nameof(queries));
        int[]? exclude = null;
        if (!memberIndex.IsEmpty)
        {
            exclude = new int[memberIndex.Length];
            for (int i = 0; i < exclude.Length; i++)
            {
                if (memberIndex[i] >= _reference.Count)
                {
                    throw new ArgumentException($"memberIndex[{i}] = {memberIndex[i]} is not an index into the reference set.", nameof(memberIndex));
                }

                exclude[i] = memberIndex[i] < 0 ? -1 : memberIndex[i];
            }
        }

        return Search(PackedRows<float>.All(Normalise(queries)), exclude);
    }

    /// <summary>
    /// The score of every reference item among the others (leave-one-out by identity): the ID scores its OOD threshold is
    /// calibrated on (SISOM.md §7.1, §8.1). +∞ for an item with no other reference.
    /// </summary>
    public double[] LeaveOneOut()
    {
        var self = new int[_reference.Count];
        for (int i = 0; i < self.Length; i++)
        {
            self[i] = i;
        }

        // One symmetric self-join (each pair once, NeighbourSearch.SelfJoin) where it applies: the same answer as the search below.
        return NeighbourSearch.CanSelfJoin(_reference, K, _search)
            ? KthDistances(NeighbourSearch.SelfJoin(_reference, K, null, _search)[0])
            : Search(_reference, self);
    }

    private double[] Search(PackedRows<float> queries, int[]? exclude)
    {
        var job = new SearchJob<float>(queries, _reference, K) { ExcludeIndex = exclude };
        NeighbourSearch.Run([job], _search);
        return KthDistances(job);
    }

    private double[] KthDistances(SearchJob<float> job)
    {
        var result = new double[job.Queries.Count];
        for (int i = 0; i < result.Length; i++)
        {
            int found = K - 1;
            while (found >= 0 && !job.Has(i, found))
            {
                found--;
            }

            result[i] = found < 0 ? double.PositiveInfinity : job.Distance(i, found);
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
