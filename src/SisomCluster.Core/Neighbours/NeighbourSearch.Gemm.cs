using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SisomCluster.Core.Neighbours;

/// <summary>The GEMM-form float32 search with exact refinement (see the remarks on <see cref="NeighbourSearch"/>).</summary>
internal static partial class NeighbourSearch
{
    private static void RunGemm(IReadOnlyList<SearchJob<float>> jobs, NeighbourSearchOptions options, KernelIsa isa)
    {
        int nr = GemmKernel.TileReferences(isa);
        var difference = new List<SearchJob<float>>();
        var gemm = new List<SearchJob<float>>();
        foreach (SearchJob<float> job in jobs)
        {
            // Norms too large for float32 sums (≥ 1e30) would overflow the GEMM form: such jobs take the difference form.
            // With few references per neighbour kept (k = 50 among 1 000), most pairs end up refined: the difference form is cheaper.
            (job.References.Count >= MinReferencesPerK * job.K && Fits(job.Queries) && Fits(job.References) ? gemm : difference).Add(job);
        }

        if (difference.Count > 0)
        {
            RunDifference(difference, options);
        }

        var work = WorkItems(gemm, options);
        if (work.Count == 0)
        {
            return;
        }

        int rowBytes = gemm[0].Queries.Stride * sizeof(float);
        int referenceBlock = Math.Max(nr, options.ReferenceBlockFor(rowBytes) / nr * nr);
        var panels = new Dictionary<PackedRows<float>, ReferencePanels>(ReferenceEqualityComparer.Instance);
        foreach (SearchJob<float> job in gemm)
        {
            if (!panels.ContainsKey(job.References))
            {
                panels[job.References] = job.References.Panels(nr);
            }
        }

        int maxK = gemm.Max(j => j.K);
        Parallel.For(
            0,
            work.Count,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            () => new GemmScratch(options.QueryBlockSize, referenceBlock, maxK),
            (w, _, scratch) =>
            {
                (SearchJob<float> job, int start, int count) = work[w];
                SearchBlockGemm(job, isa, panels[job.References], start, count, referenceBlock, scratch);
                return scratch;
            },
            _ => { });
    }

    private static bool Fits(PackedRows<float> rows)
    {
        foreach (float n in rows.SquaredNorms())
        {
            if (!(n < 1e30f))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void SearchBlockGemm(SearchJob<float> job, KernelIsa isa, ReferencePanels panels, int queryStart, int queryCount, int referenceBlock, GemmScratch scratch)
    {
        PackedRows<float> references = job.References;
        PackedRows<float> queries = job.Queries;
        float[] queryNorms = queries.SquaredNorms();
        int nr = panels.Width;
        int k = job.K;
        scratch.Reset(queryCount);
        for (int qi = 0; qi < queryCount; qi++)
        {
            scratch.Bound[qi] = GemmKernel.ErrorBound(Math.Sqrt(queryNorms[queryStart + qi]), panels.MaxNorm, queries.Stride);
        }

        float[] tile = scratch.Tile;
        for (int refStart = 0; refStart < references.Count; refStart += referenceBlock)
        {
            int refCount = Math.Min(referenceBlock, references.Count - refStart);
            int tileStride = (refCount + nr - 1) / nr * nr;
            GemmKernel.ApproximateDistances(isa, queries, queryNorms, queryStart, queryCount, panels, refStart, refCount, tile, tileStride);
            for (int qi = 0; qi < queryCount; qi++)
            {
                int q = queryStart + qi;
                int exclude = job.ExcludeIndex is null ? -1 : job.ExcludeIndex[q];
                int excludeLabel = job.ExcludeLabel is null ? -1 : job.ExcludeLabel[q];
                ReadOnlySpan<float> row = tile.AsSpan(qi * tileStride, refCount);
                int j = 0;
                fixed (float* pr = row)
                {
                    for (; j + 16 <= refCount; j += 16)
                    {
                        ulong mask = AtMost16(pr + j, scratch.Threshold[qi]);
                        while (mask != 0)
                        {
                            int bit = BitOperations.TrailingZeroCount(mask);
                            mask &= mask - 1;
                            Consider(job, scratch, qi, k, row[j + bit], refStart + j + bit, exclude, excludeLabel);
                        }
                    }
                }

                for (; j < refCount; j++)
                {
                    if (row[j] <= scratch.Threshold[qi])
                    {
                        Consider(job, scratch, qi, k, row[j], refStart + j, exclude, excludeLabel);
                    }
                }
            }
        }

        fixed (float* pq = queries.Data)
        fixed (float* pr = references.Data)
        {
            int stride = queries.Stride;
            for (int qi = 0; qi < queryCount; qi++)
            {
                int q = queryStart + qi;
                scratch.Prune(qi, k);
                Span<double> bestD = job.BestDistance.AsSpan(q * k, k);
                Span<int> bestI = job.BestIndex.AsSpan(q * k, k);
                int count = scratch.Count[qi];
                float[] approx = scratch.Approx[qi];
                int[] positions = scratch.Position[qi];
                float threshold = scratch.Threshold[qi];
                for (int c = 0; c < count; c++)
                {
                    if (!(approx[c] <= threshold))
                    {
                        continue;
                    }

                    int position = positions[c];
                    double d = DistanceKernel.Kernel1x1(pq + ((long)q * stride), pr + ((long)position * stride), stride);
                    int index = references.Indices[position];
                    if (d > bestD[k - 1] || (d == bestD[k - 1] && index > bestI[k - 1]))
                    {
                        continue;
                    }

                    Insert(bestD, bestI, d, index);
                }
            }
        }
    }

    /// <summary>
    /// The value that would stand at <paramref name="rank"/> (0-based) if <paramref name="values"/> were sorted ascending
    /// (quickselect; reorders <paramref name="values"/>; O(n) where a sort is O(n log n)). Values are finite.
    /// </summary>
    internal static float KthSmallest(Span<float> values, int rank)
    {
        int lo = 0;
        int hi = values.Length - 1;
        while (hi > lo)
        {
            // Median of three as the pivot, then a Hoare partition.
            int mid = lo + ((hi - lo) / 2);
            float a = values[lo], b = values[mid], c = values[hi];
            float pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
            int i = lo;
            int j = hi;
            while (i <= j)
            {
                while (values[i] < pivot)
                {
                    i++;
                }

                while (values[j] > pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            // [lo, j] ≤ pivot ≤ [i, hi]; between them (j < r < i) every value equals the pivot.
            if (rank <= j)
            {
                hi = j;
            }
            else if (rank >= i)
            {
                lo = i;
            }
            else
            {
                return values[rank];
            }
        }

        return values[rank];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Consider(SearchJob<float> job, GemmScratch scratch, int qi, int k, float approx, int position, int exclude, int excludeLabel)
    {
        int index = job.References.Indices[position];
        if (index == exclude || (excludeLabel >= 0 && job.ReferenceLabels![index] == excludeLabel))
        {
            return;
        }

        scratch.Add(qi, k, approx, position);
    }

    /// <summary>One worker's tile and per-query candidate buffers (approximate distance, position in the reference pack).</summary>
    private sealed class GemmScratch
    {
        private readonly float[] _select;

        public GemmScratch(int queries, int referenceBlock, int k)
        {
            Tile = new float[queries * referenceBlock];
            Bound = new double[queries];
            Threshold = new float[queries];
            Count = new int[queries];
            int capacity = Math.Max(64, 4 * k);
            Approx = new float[queries][];
            Position = new int[queries][];
            for (int i = 0; i < queries; i++)
            {
                Approx[i] = new float[capacity];
                Position[i] = new int[capacity];
            }

            _select = new float[capacity];
        }

        public float[] Tile { get; }

        /// <summary>Per query: the bound on |GEMM form − difference form| against any reference of the job.</summary>
        public double[] Bound { get; }

        /// <summary>Per query: candidates above this approximate distance cannot be among the k best.</summary>
        public float[] Threshold { get; }

        public int[] Count { get; }

        public float[][] Approx { get; }

        public int[][] Position { get; }

        public void Reset(int queries)
        {
            Array.Fill(Threshold, float.PositiveInfinity, 0, queries);
            Array.Clear(Count, 0, queries);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int qi, int k, float approx, int position)
        {
            if (Count[qi] == Approx[qi].Length)
            {
                Prune(qi, k);
                if (Count[qi] * 2 > Approx[qi].Length)
                {
                    Array.Resize(ref Approx[qi], Approx[qi].Length * 2);
                    Array.Resize(ref Position[qi], Position[qi].Length * 2);
                }

                if (!(approx <= Threshold[qi]))
                {
                    return;
                }
            }

            int c = Count[qi]++;
            Approx[qi][c] = approx;
            Position[qi][c] = position;
            if (k == 1)
            {
                // The threshold follows the best value held at once (not only when the buffer fills): far fewer values get past it.
                Threshold[qi] = Math.Min(Threshold[qi], Limit(approx, Bound[qi]));
            }
            else if (c + 1 == k && float.IsPositiveInfinity(Threshold[qi]))
            {
                Prune(qi, k);
            }
        }

        /// <summary>(approximate value) + 2B, rounded up to a float: no pair above it can beat the pair that gave the value.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Limit(float approx, double bound)
        {
            double limit = approx + (2 * bound);
            float threshold = (float)limit;
            return threshold < limit ? MathF.BitIncrement(threshold) : threshold;
        }

        /// <summary>
        /// Threshold = (k-th smallest approximate distance held) + 2B, rounded up, then drops every candidate above it.
        /// The exact k-th distance is at most A_k + B, and a pair whose exact distance is at most that has an approximate one
        /// of at most A_k + 2B, so nothing dropped can be among the k best.
        /// </summary>
        public void Prune(int qi, int k)
        {
            int count = Count[qi];
            if (count < k)
            {
                return;
            }

            float[] approx = Approx[qi];
            float[] select = count <= _select.Length ? _select : new float[count];
            Span<float> values = select.AsSpan(0, count);
            approx.AsSpan(0, count).CopyTo(values);
            Threshold[qi] = Math.Min(Threshold[qi], Limit(KthSmallest(values, k - 1), Bound[qi]));
            float threshold = Threshold[qi];
            int[] positions = Position[qi];
            int kept = 0;
            for (int c = 0; c < count; c++)
            {
                if (approx[c] <= threshold)
                {
                    approx[kept] = approx[c];
                    positions[kept] = positions[c];
                    kept++;
                }
            }

            Count[qi] = kept;
        }
    }
}
