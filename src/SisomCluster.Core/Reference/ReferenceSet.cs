using System.Numerics;
using SisomCluster.Core.Neighbours;

namespace SisomCluster.Core.Reference;

/// <summary>
/// The reference set T: states z(t), true labels y(t) and margins
/// m(t) = min over other-class t' of ‖z(t) − z(t')‖ (SISOM.md §4). Margins depend on T only, so they
/// are computed once per reference-set version (or supplied from storage) and never per query.
/// </summary>
public sealed class ReferenceSet
{
    private readonly object?[] _classPacks;
    private readonly int[][] _classMembers;

    public ReferenceSet(StateMatrix states, int[] labels, int classCount, double[]? margins = null, NeighbourSearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(labels);
        if (classCount < 2)
        {
            throw new ArgumentException($"K must be >= 2, got {classCount}.", nameof(classCount));
        }

        if (states.Rows == 0)
        {
            throw new ArgumentException("The reference set is empty: SISOM needs at least one labeled item.", nameof(states));
        }

        if (labels.Length != states.Rows)
        {
            throw new ArgumentException($"reference labels have {labels.Length} entries for {states.Rows} reference items.", nameof(labels));
        }

        states.Values.EnsureFinite("reference states");
        Guard.Labels(labels, classCount, "reference labels");
        if (margins is not null && margins.Length != states.Rows)
        {
            throw new ArgumentException($"margins have {margins.Length} entries for {states.Rows} reference items.", nameof(margins));
        }

        StateVectors = states;
        Labels = labels;
        ClassCount = classCount;
        var members = new List<int>[classCount];
        for (int c = 0; c < classCount; c++)
        {
            members[c] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            members[labels[i]].Add(i);
        }

        _classMembers = Array.ConvertAll(members, m => m.ToArray());
        _classPacks = new object?[classCount];
        Margins = margins ?? ComputeMargins(states, labels, options ?? NeighbourSearchOptions.Default);
    }

    /// <summary>z(t) as float32 (what is stored and exported).</summary>
    public FeatureMatrix States => StateVectors.Values;

    /// <summary>z(t) at the precision distances are computed in.</summary>
    public StateMatrix StateVectors { get; }

    public int[] Labels { get; }

    public int ClassCount { get; }

    /// <summary>m(t) for each reference item; +∞ when T holds a single class.</summary>
    public double[] Margins { get; }

    public int Count => States.Rows;

    public int Dimension => States.Columns;

    public int ClassSize(int label) => _classMembers[label].Length;

    /// <summary>The references of one class, packed for the kernel (built on first use, then shared).</summary>
    internal PackedRows<T> ClassPack<T>(int label)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Volatile.Read(ref _classPacks[label]) is not PackedRows<T>)
        {
            Interlocked.CompareExchange(ref _classPacks[label], new PackedRows<T>(StateVectors, _classMembers[label]), null);
        }

        return (PackedRows<T>)_classPacks[label]!;
    }

    /// <summary>m(t) = distance to the nearest reference with another label (SISOM.md §4).</summary>
    public static double[] ComputeMargins(StateMatrix states, int[] labels, NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        return states.Precision == ScoringPrecision.Float64
            ? ComputeMargins<double>(states, labels, options)
            : ComputeMargins<float>(states, labels, options);
    }

    private static double[] ComputeMargins<T>(StateMatrix states, int[] labels, NeighbourSearchOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PackedRows<T> all = PackedRows<T>.All(states);
        var job = new SearchJob<T>(all, all, 1) { ExcludeLabel = labels, ReferenceLabels = labels };
        NeighbourSearch.Run([job], options);
        var margins = new double[states.Rows];
        for (int i = 0; i < margins.Length; i++)
        {
            margins[i] = job.Has(i, 0) ? job.Distance(i, 0) : double.PositiveInfinity;
        }

        return margins;
    }
}
