using System.Numerics;
using SisomCluster.Core.Neighbours;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Core.Reference;

/// <summary>
/// The O(|T|²·D) part of a scoring context for one state matrix (one α), kept with the neighbour behind each number so
/// that the next reference-set version can be derived from it (SISOM.md §4, §6, §10): each reference item's margin
/// m(t) with the other-class item at that distance, and its leave-one-out nearest same-class item a(t) with d_in(t).
/// The leave-one-out ratio r(t) = d_in(t) / m(a(t)) then follows in O(|T|).
/// </summary>
/// <remarks>
/// <see cref="Update"/> adds n items to |T| in O(n·|T|·D): a new item can only lower an existing margin or d_in (both are
/// minima over a set that grew), so the kept items are searched against the n added ones only, and each added item gets
/// one full search. An item whose stored neighbour left the set (removed, or relabelled: a relabelled item leaves and
/// comes back as new) is searched again in full. The answer is the from-scratch one: the same pairs are compared with
/// the same query/reference roles, and ties keep the lowest index as <see cref="NeighbourSearch"/> does.
/// </remarks>
public sealed class ReferenceState
{
    private ReferenceState(int[] labels)
    {
        int n = labels.Length;
        Labels = labels;
        Margins = new double[n];
        MarginNeighbours = new int[n];
        LooNeighbours = new int[n];
        LooDistances = new double[n];
    }

    /// <summary>y(t), the labels the state was computed for.</summary>
    public int[] Labels { get; }

    /// <summary>m(t); +∞ when T holds no item of another class.</summary>
    public double[] Margins { get; }

    /// <summary>The index of an other-class item at distance m(t) (the lowest such index); −1 when none.</summary>
    public int[] MarginNeighbours { get; }

    /// <summary>a(t): the nearest other item of the same class (lowest index on ties); −1 when t is alone in its class.</summary>
    public int[] LooNeighbours { get; }

    /// <summary>d_in(t) = ‖z(t) − z(a(t))‖; +∞ when t is alone in its class.</summary>
    public double[] LooDistances { get; }

    public int Count => Labels.Length;

    /// <summary>How many items the last <see cref="Update"/> searched in full (added, or their neighbour left); |T| after <see cref="Compute"/>.</summary>
    public int FullSearches { get; private set; }

    /// <summary>Reassembles a stored state (nothing is recomputed); the arrays are validated, not copied.</summary>
    public static ReferenceState FromParts(int[] labels, double[] margins, int[] marginNeighbours, int[] looNeighbours, double[] looDistances)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(margins);
        ArgumentNullException.ThrowIfNull(marginNeighbours);
        ArgumentNullException.ThrowIfNull(looNeighbours);
        ArgumentNullException.ThrowIfNull(looDistances);
        int n = labels.Length;
        if (margins.Length != n || marginNeighbours.Length != n || looNeighbours.Length != n || looDistances.Length != n)
        {
            throw new ArgumentException($"A reference state needs one margin, margin neighbour, leave-one-out neighbour and distance per item: got {margins.Length}, {marginNeighbours.Length}, {looNeighbours.Length}, {looDistances.Length} for {n} labels.", nameof(margins));
        }

        var state = new ReferenceState(labels);
        for (int i = 0; i < n; i++)
        {
            CheckNeighbour(marginNeighbours[i], n, i, "margin");
            CheckNeighbour(looNeighbours[i], n, i, "leave-one-out");
            if (marginNeighbours[i] >= 0 && labels[marginNeighbours[i]] == labels[i])
            {
                throw new ArgumentException($"Reference {i}: its margin neighbour {marginNeighbours[i]} has the same label.", nameof(marginNeighbours));
            }

            if (looNeighbours[i] >= 0 && labels[looNeighbours[i]] != labels[i])
            {
                throw new ArgumentException($"Reference {i}: its leave-one-out neighbour {looNeighbours[i]} has another label.", nameof(looNeighbours));
            }

            if ((marginNeighbours[i] < 0) != double.IsPositiveInfinity(margins[i]) || (looNeighbours[i] < 0) != double.IsPositiveInfinity(looDistances[i]))
            {
                throw new ArgumentException($"Reference {i}: a distance is +∞ exactly when there is no neighbour.", nameof(margins));
            }
        }

        margins.CopyTo(state.Margins, 0);
        marginNeighbours.CopyTo(state.MarginNeighbours, 0);
        looNeighbours.CopyTo(state.LooNeighbours, 0);
        looDistances.CopyTo(state.LooDistances, 0);
        return state;
    }

    /// <summary>Everything from scratch: O(|T|²·D).</summary>
    public static ReferenceState Compute(StateMatrix states, int[] labels, NeighbourSearchOptions options)
    {
        Validate(states, labels, options);
        int[] all = new int[labels.Length];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = -1;
        }

        var state = new ReferenceState(labels);
        if (!state.SelfJoin(states, options))
        {
            state.Search(states, all, all, options);
        }

        return state;
    }

    /// <summary>
    /// The state of a new reference-set version from the previous one. <paramref name="previousIndex"/>[i] is the index in
    /// <paramref name="previous"/> of item i of the new set when it is the same item with the same label and the same state
    /// vector, or −1 (a new item, or a relabelled one). Kept items must keep their order (both versions in item-id order),
    /// which makes ties break as a search from scratch breaks them. Items of the previous version that no item maps to
    /// were removed. Cost: O(n·|T|·D) for n added items, plus O(|T|·D) per item whose neighbour was removed.
    /// </summary>
    public static ReferenceState Update(ReferenceState previous, StateMatrix states, int[] labels, ReadOnlySpan<int> previousIndex, NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(previous);
        Validate(states, labels, options);
        int n = labels.Length;
        if (previousIndex.Length != n)
        {
            throw new ArgumentException($"{previousIndex.Length} previous indices for {n} reference items.", nameof(previousIndex));
        }

        var newIndexOfOld = new int[previous.Count];
        Array.Fill(newIndexOfOld, -1);
        int last = -1;
        for (int i = 0; i < n; i++)
        {
            int p = previousIndex[i];
            if (p < 0)
            {
                continue;
            }

            if (p >= previous.Count)
            {
                throw new ArgumentException($"previousIndex[{i}] = {p} is not an index into the previous reference set ({previous.Count} items).", nameof(previousIndex));
            }

            if (p <= last)
            {
                throw new ArgumentException($"previousIndex[{i}] = {p}: kept items must keep their order (both versions sorted by item id).", nameof(previousIndex));
            }

            if (previous.Labels[p] != labels[i])
            {
                throw new ArgumentException($"previousIndex[{i}] = {p} changes the label {previous.Labels[p]} → {labels[i]}: a relabelled item is a new item (−1).", nameof(previousIndex));
            }

            last = p;
            newIndexOfOld[p] = i;
        }

        var state = new ReferenceState(labels);

        // marginFrom / looFrom: −1 = search in full; otherwise the kept item's previous entry still holds and only the added items can beat it.
        var marginFrom = new int[n];
        var looFrom = new int[n];
        for (int i = 0; i < n; i++)
        {
            int p = previousIndex[i];
            marginFrom[i] = p >= 0 && Holds(previous.MarginNeighbours[p], newIndexOfOld, out int m) ? Carry(state.Margins, state.MarginNeighbours, i, previous.Margins[p], m) : -1;
            looFrom[i] = p >= 0 && Holds(previous.LooNeighbours[p], newIndexOfOld, out int a) ? Carry(state.LooDistances, state.LooNeighbours, i, previous.LooDistances[p], a) : -1;
        }

        state.Search(states, marginFrom, looFrom, options, previousIndex);
        return state;
    }

    /// <summary>
    /// r(t) = d_in(t) / m(a(t)) for every item, class = its label (SISOM.md §6): the leave-one-out ratios of the ID statistics;
    /// +∞ for an item alone in its class, <see cref="DistanceRatios.ZeroMarginRatio"/> where m(a) = 0.
    /// </summary>
    public double[] LooRatios()
    {
        var ratios = new double[Count];
        for (int i = 0; i < ratios.Length; i++)
        {
            int a = LooNeighbours[i];
            if (a < 0)
            {
                ratios[i] = double.PositiveInfinity;
                continue;
            }

            double dOut = Margins[a];
            ratios[i] = dOut == 0 ? DistanceRatios.ZeroMarginRatio : LooDistances[i] / dOut;
        }

        return ratios;
    }

    private static void Validate(StateMatrix states, int[] labels, NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (labels.Length != states.Rows)
        {
            throw new ArgumentException($"reference labels have {labels.Length} entries for {states.Rows} reference items.", nameof(labels));
        }

        foreach (int label in labels)
        {
            if (label < 0)
            {
                throw new ArgumentException($"reference labels must be >= 0, got {label}.", nameof(labels));
            }
        }
    }

    private static void CheckNeighbour(int neighbour, int count, int item, string what)
    {
        if (neighbour < -1 || neighbour >= count || neighbour == item)
        {
            throw new ArgumentException($"Reference {item}: {what} neighbour {neighbour} is not another item of the {count}.");
        }
    }

    /// <summary>Whether the previous neighbour (−1 = none) is still in the set; <paramref name="now"/> is its new index.</summary>
    private static bool Holds(int neighbour, int[] newIndexOfOld, out int now)
    {
        now = neighbour < 0 ? -1 : newIndexOfOld[neighbour];
        return neighbour < 0 || now >= 0;
    }

    private static int Carry(double[] distances, int[] neighbours, int i, double distance, int neighbour)
    {
        distances[i] = distance;
        neighbours[i] = neighbour;
        return 1;
    }

    /// <summary>
    /// Margins and leave-one-out neighbours from one symmetric float32 self-join (<see cref="NeighbourSearch.SelfJoin"/>):
    /// each pair's GEMM value once, feeding the other-class nearest (margin) and the same-class nearest (a(t)) of both items;
    /// the result is that of <see cref="Search"/> bit for bit. False (nothing done) where the join does not apply.
    /// </summary>
    private bool SelfJoin(StateMatrix states, NeighbourSearchOptions options)
    {
        if (states.Precision != ScoringPrecision.Float32)
        {
            return false;
        }

        PackedRows<float> all = PackedRows<float>.All(states);
        if (!NeighbourSearch.CanSelfJoin(all, 1, options))
        {
            return false;
        }

        SearchJob<float>[] jobs = NeighbourSearch.SelfJoin(all, 1, Labels, options);
        Merge(jobs[0], true, LooDistances, LooNeighbours);
        Merge(jobs[1], true, Margins, MarginNeighbours);
        FullSearches = Count;
        return true;
    }

    private void Search(StateMatrix states, int[] marginFrom, int[] looFrom, NeighbourSearchOptions options, ReadOnlySpan<int> previousIndex = default)
    {
        if (states.Precision == ScoringPrecision.Float64)
        {
            Search<double>(states, marginFrom, looFrom, options, previousIndex);
        }
        else
        {
            Search<float>(states, marginFrom, looFrom, options, previousIndex);
        }
    }

    private void Search<T>(StateMatrix states, int[] marginFrom, int[] looFrom, NeighbourSearchOptions options, ReadOnlySpan<int> previousIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Count;
        int classes = 0;
        foreach (int label in Labels)
        {
            classes = Math.Max(classes, label + 1);
        }

        // Rows by role: full margin searches, full leave-one-out searches (per class), kept rows that only meet the added ones.
        var fullMargin = new List<int>();
        var keptMargin = new List<int>();
        var added = new List<int>();
        var fullLoo = new List<int>[classes];
        var keptLoo = new List<int>[classes];
        var addedOfClass = new List<int>[classes];
        var members = new List<int>[classes];
        for (int c = 0; c < classes; c++)
        {
            fullLoo[c] = [];
            keptLoo[c] = [];
            addedOfClass[c] = [];
            members[c] = [];
        }

        for (int i = 0; i < n; i++)
        {
            int c = Labels[i];
            members[c].Add(i);
            (marginFrom[i] < 0 ? fullMargin : keptMargin).Add(i);
            (looFrom[i] < 0 ? fullLoo[c] : keptLoo[c]).Add(i);
            if (!previousIndex.IsEmpty && previousIndex[i] < 0)
            {
                added.Add(i);
                addedOfClass[c].Add(i);
            }
        }

        var packs = new Dictionary<(int Kind, int Class), PackedRows<T>>();
        PackedRows<T> Pack(int kind, int c, List<int> rows)
        {
            if (!packs.TryGetValue((kind, c), out PackedRows<T>? pack))
            {
                pack = new PackedRows<T>(states, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
                packs[(kind, c)] = pack;
            }

            return pack;
        }

        const int All = 0, Added = 1, Members = 2, AddedOfClass = 3, Queries = 4, KeptQueries = 5;
        var allRows = new List<int>(n);
        for (int i = 0; i < n; i++)
        {
            allRows.Add(i);
        }

        int[] labels = Labels;
        var jobs = new List<SearchJob<T>>();
        var marginJobs = new List<(SearchJob<T> Job, bool Full)>();
        var looJobs = new List<(SearchJob<T> Job, bool Full)>();
        if (fullMargin.Count > 0)
        {
            var job = new SearchJob<T>(Pack(Queries, -1, fullMargin), Pack(All, -1, allRows), 1) { ExcludeLabel = LabelsOf(fullMargin), ReferenceLabels = labels };
            marginJobs.Add((job, true));
        }

        if (keptMargin.Count > 0 && added.Count > 0)
        {
            var job = new SearchJob<T>(Pack(KeptQueries, -1, keptMargin), Pack(Added, -1, added), 1) { ExcludeLabel = LabelsOf(keptMargin), ReferenceLabels = labels };
            marginJobs.Add((job, false));
        }

        for (int c = 0; c < classes; c++)
        {
            if (fullLoo[c].Count > 0)
            {
                var job = new SearchJob<T>(new PackedRows<T>(states, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(fullLoo[c])), Pack(Members, c, members[c]), 1) { ExcludeIndex = fullLoo[c].ToArray() };
                looJobs.Add((job, true));
            }

            if (keptLoo[c].Count > 0 && addedOfClass[c].Count > 0)
            {
                var job = new SearchJob<T>(new PackedRows<T>(states, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(keptLoo[c])), Pack(AddedOfClass, c, addedOfClass[c]), 1);
                looJobs.Add((job, false));
            }
        }

        jobs.AddRange(marginJobs.Select(j => j.Job));
        jobs.AddRange(looJobs.Select(j => j.Job));
        NeighbourSearch.Run(jobs, options);

        foreach ((SearchJob<T> job, bool full) in marginJobs)
        {
            Merge(job, full, Margins, MarginNeighbours);
        }

        foreach ((SearchJob<T> job, bool full) in looJobs)
        {
            Merge(job, full, LooDistances, LooNeighbours);
        }

        int searched = 0;
        for (int i = 0; i < n; i++)
        {
            searched += marginFrom[i] < 0 || looFrom[i] < 0 ? 1 : 0;
        }

        FullSearches = searched;

        int[] LabelsOf(List<int> rows)
        {
            var result = new int[rows.Count];
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = labels[rows[i]];
            }

            return result;
        }
    }

    /// <summary>
    /// A full search sets the entry; a search of a kept row against the added rows replaces the carried entry only when it
    /// is nearer, or as near with a lower index (the from-scratch tie rule).
    /// </summary>
    private static void Merge<T>(SearchJob<T> job, bool full, double[] distances, int[] neighbours)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int[] rows = job.Queries.Indices;
        for (int q = 0; q < rows.Length; q++)
        {
            int row = rows[q];
            if (!job.Has(q, 0))
            {
                if (full)
                {
                    distances[row] = double.PositiveInfinity;
                    neighbours[row] = -1;
                }

                continue;
            }

            double d = job.Distance(q, 0);
            int index = job.Index(q, 0);
            if (full || d < distances[row] || (d == distances[row] && (neighbours[row] < 0 || index < neighbours[row])))
            {
                distances[row] = d;
                neighbours[row] = index;
            }
        }
    }
}
