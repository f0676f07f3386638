using System.Numerics;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Reference;

namespace SisomCluster.Core.Scoring;

/// <summary>The distance ratio r = d_in / d_out of SISOM.md §5 for a batch of states.</summary>
public sealed class DistanceRatios
{
    /// <summary>r when the nearest reference's twin carries another label (d_out = 0): the reference implementation's convention.</summary>
    public const double ZeroMarginRatio = 1e-6;

    private DistanceRatios(int count)
    {
        NearestReference = new int[count];
        DIn = new double[count];
        DOut = new double[count];
        Ratio = new double[count];
        NoReference = new bool[count];
    }

    /// <summary>Index into T of the reference a, or −1 when T_ŷ is empty.</summary>
    public int[] NearestReference { get; }

    /// <summary>‖z(x) − z(a)‖; +∞ when there is no reference.</summary>
    public double[] DIn { get; }

    /// <summary>m(a); NaN (undefined) when there is no reference.</summary>
    public double[] DOut { get; }

    /// <summary>r(x); +∞ when T_ŷ is empty.</summary>
    public double[] Ratio { get; }

    /// <summary>T_ŷ was empty (no labeled item of the class yet).</summary>
    public bool[] NoReference { get; }

    /// <summary>
    /// Computes r for each row of <paramref name="states"/> against the references of class
    /// <paramref name="classes"/>[i]. <paramref name="memberIndex"/>[i] ≥ 0 marks the row as reference
    /// item memberIndex[i], which is then left out by identity (never by distance).
    /// <paramref name="neighbourRank"/> = 1 takes the nearest (the spec); 2 the second nearest
    /// (the reference code); with fewer eligible references than the rank, the farthest eligible one is used.
    /// </summary>
    public static DistanceRatios Compute(ReferenceSet reference, StateMatrix states, ReadOnlySpan<int> classes, ReadOnlySpan<int> memberIndex, int neighbourRank, NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(options);
        if (states.Precision != reference.StateVectors.Precision)
        {
            throw new ArgumentException($"states are {states.Precision} precision, the reference set is {reference.StateVectors.Precision}.", nameof(states));
        }

        if (states.Columns != reference.Dimension)
        {
            throw new ArgumentException($"states have {states.Columns} columns, the reference set has {reference.Dimension}.", nameof(states));
        }

        if (classes.Length != states.Rows)
        {
            throw new ArgumentException($"{classes.Length} classes given for {states.Rows} items.", nameof(classes));
        }

        if (!memberIndex.IsEmpty && memberIndex.Length != states.Rows)
        {
            throw new ArgumentException($"{memberIndex.Length} member indices given for {states.Rows} items.", nameof(memberIndex));
        }

        if (neighbourRank is < 1 or > 2)
        {
            throw new ArgumentException($"neighbour_rank must be 1 or 2, got {neighbourRank}.", nameof(neighbourRank));
        }

        Guard.Labels(classes, reference.ClassCount, nameof(classes));
        for (int i = 0; i < memberIndex.Length; i++)
        {
            if (memberIndex[i] >= reference.Count)
            {
                throw new ArgumentException($"memberIndex[{i}] = {memberIndex[i]} is not an index into the reference set.", nameof(memberIndex));
            }
        }

        return states.Precision == ScoringPrecision.Float64
            ? Search<double>(reference, states, classes, memberIndex, neighbourRank, options)
            : Search<float>(reference, states, classes, memberIndex, neighbourRank, options);
    }

    private static DistanceRatios Search<T>(ReferenceSet reference, StateMatrix states, ReadOnlySpan<int> classes, ReadOnlySpan<int> memberIndex, int neighbourRank, NeighbourSearchOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new DistanceRatios(states.Rows);
        var rowsByClass = new List<int>[reference.ClassCount];
        for (int i = 0; i < classes.Length; i++)
        {
            (rowsByClass[classes[i]] ??= []).Add(i);
        }

        var jobs = new List<SearchJob<T>>();
        var jobRows = new List<int[]>();
        for (int c = 0; c < rowsByClass.Length; c++)
        {
            if (rowsByClass[c] is not { } rows)
            {
                continue;
            }

            int[] rowArray = rows.ToArray();
            int[]? exclude = null;
            if (!memberIndex.IsEmpty)
            {
                exclude = new int[rowArray.Length];
                for (int i = 0; i < rowArray.Length; i++)
                {
                    exclude[i] = memberIndex[rowArray[i]] < 0 ? -1 : memberIndex[rowArray[i]];
                }
            }

            jobs.Add(new SearchJob<T>(new PackedRows<T>(states, rowArray), reference.ClassPack<T>(c), neighbourRank) { ExcludeIndex = exclude });
            jobRows.Add(rowArray);
        }

        NeighbourSearch.Run(jobs, options);
        for (int j = 0; j < jobs.Count; j++)
        {
            SearchJob<T> job = jobs[j];
            int[] rows = jobRows[j];
            for (int i = 0; i < rows.Length; i++)
            {
                int found = neighbourRank - 1;
                while (found >= 0 && !job.Has(i, found))
                {
                    found--;
                }

                int row = rows[i];
                if (found < 0)
                {
                    result.SetNoReference(row);
                    continue;
                }

                int a = job.Index(i, found);
                double dIn = job.Distance(i, found);
                double dOut = reference.Margins[a];
                result.NearestReference[row] = a;
                result.DIn[row] = dIn;
                result.DOut[row] = dOut;
                result.Ratio[row] = dOut == 0 ? ZeroMarginRatio : dIn / dOut;
            }
        }

        return result;
    }

    private void SetNoReference(int row)
    {
        NearestReference[row] = -1;
        DIn[row] = double.PositiveInfinity;
        DOut[row] = double.NaN;
        Ratio[row] = double.PositiveInfinity;
        NoReference[row] = true;
    }
}
