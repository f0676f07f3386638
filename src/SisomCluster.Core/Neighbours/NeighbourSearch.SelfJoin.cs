using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// The symmetric self-join: every row of one pack against every other row of the same pack, each unordered pair's GEMM
/// value computed once (tiles on and above the diagonal only, half the pairs of <see cref="Run{T}"/> with the pack as both
/// queries and references) and offered to both rows' candidate buffers. Refinement is the same as in the row-wise search:
/// every candidate within 2B of a row's k-th smallest GEMM value is recomputed in the difference form
/// (<see cref="DistanceKernel.Kernel1x1{T}"/>, bit-symmetric: (x − t)² = (t − x)² element by element) and ranked by (distance,
/// index), so the k best of each row are those of the row-wise search bit for bit. The bound of a pair (i, j) holds from
/// either side: B_i = ErrorBound(‖x_i‖, max‖x‖) ≥ 3γ(‖x_i‖ + ‖x_j‖)².
/// </summary>
internal static partial class NeighbourSearch
{
    /// <summary>Whether <see cref="SelfJoin"/> applies: a GEMM kernel, enough rows per neighbour kept, norms that fit in float32 sums.</summary>
    public static bool CanSelfJoin(PackedRows<float> rows, int k, NeighbourSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        KernelIsa isa = options.Kernel ?? KernelSelection.Current;
        return isa != KernelIsa.Difference && k >= 1 && rows.Count >= MinReferencesPerK * k && Fits(rows);
    }

    /// <summary>
    /// The k nearest other rows of every row of <paramref name="rows"/>. Without <paramref name="labels"/> (one per row of the
    /// pack): one job, the same as <see cref="Run{T}"/> on (rows, rows, k) with ExcludeIndex = self. With labels: two jobs from
    /// the one pass, [0] over the rows of the same label (leave-one-out, ExcludeIndex = self) and [1] over the rows of other
    /// labels (ExcludeLabel = own label). Only where <see cref="CanSelfJoin"/>.
    /// </summary>
    public static SearchJob<float>[] SelfJoin(PackedRows<float> rows, int k, int[]? labels, NeighbourSearchOptions options)
    {
        if (!CanSelfJoin(rows, k, options))
        {
            throw new InvalidOperationException($"The self-join needs a GEMM kernel, >= {MinReferencesPerK} rows per neighbour kept and norms below 1e15.");
        }

        if (labels is not null && labels.Length != rows.Count)
        {
            throw new ArgumentException($"{labels.Length} labels for {rows.Count} rows.", nameof(labels));
        }

        KernelIsa isa = options.Kernel ?? KernelSelection.Current;
        int channels = labels is null ? 1 : 2;
        int n = rows.Count;
        int nr = GemmKernel.TileReferences(isa);
        int block = Math.Max(nr, options.QueryBlockSize / nr * nr);
        ReferencePanels panels = rows.Panels(nr);
        float[] norms = rows.SquaredNorms();
        var buffers = new RowCandidates(n * channels, k);
        for (int i = 0; i < n; i++)
        {
            double bound = GemmKernel.ErrorBound(Math.Sqrt(norms[i]), panels.MaxNorm, rows.Stride);
            for (int ch = 0; ch < channels; ch++)
            {
                buffers.Bound[(i * channels) + ch] = bound;
            }
        }

        int blocks = (n + block - 1) / block;
        var locks = new object[blocks];
        for (int b = 0; b < blocks; b++)
        {
            locks[b] = new object();
        }

        var join = new Join(isa, rows, norms, panels, labels, channels, k, block, blocks, buffers, locks);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism };

        // Row block I meets blocks I.. (blocks − I tiles): pairing I with blocks − 1 − I gives every work item the same count.
        Parallel.For(
            0,
            (blocks + 1) / 2,
            parallel,
            () => new JoinScratch(block, buffers.Capacity),
            (w, _, scratch) =>
            {
                join.RowBlock(w, scratch);
                if (blocks - 1 - w != w)
                {
                    join.RowBlock(blocks - 1 - w, scratch);
                }

                return scratch;
            },
            _ => { });

        var jobs = new SearchJob<float>[channels];
        for (int ch = 0; ch < channels; ch++)
        {
            jobs[ch] = new SearchJob<float>(rows, rows, k);
        }

        Parallel.For(
            0,
            blocks,
            parallel,
            () => new float[buffers.Capacity],
            (b, _, select) =>
            {
                int end = Math.Min(n, (b + 1) * block);
                for (int i = b * block; i < end; i++)
                {
                    for (int ch = 0; ch < channels; ch++)
                    {
                        select = join.Refine(i, ch, jobs[ch], select);
                    }
                }

                return select;
            },
            _ => { });
        return jobs;
    }

    private sealed class JoinScratch(int block, int capacity)
    {
        public float[] Tile { get; } = new float[block * block];

        public float[] Select { get; set; } = new float[capacity];
    }

    private sealed class Join(KernelIsa isa, PackedRows<float> rows, float[] norms, ReferencePanels panels, int[]? labels, int channels, int k, int block, int blocks, RowCandidates buffers, object[] locks)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void RowBlock(int rowBlock, JoinScratch scratch)
        {
            int n = rows.Count;
            int iStart = rowBlock * block;
            int iCount = Math.Min(block, n - iStart);
            float[] tile = scratch.Tile;
            for (int columnBlock = rowBlock; columnBlock < blocks; columnBlock++)
            {
                int jStart = columnBlock * block;
                int jCount = Math.Min(block, n - jStart);
                int tileStride = (jCount + panels.Width - 1) / panels.Width * panels.Width;
                GemmKernel.ApproximateDistances(isa, rows, norms, iStart, iCount, panels, jStart, jCount, tile, tileStride);
                lock (locks[rowBlock])
                {
                    for (int qi = 0; qi < iCount; qi++)
                    {
                        Rows(scratch, tile.AsSpan(qi * tileStride, jCount), iStart + qi, jStart, columnBlock == rowBlock ? qi : -1);
                    }
                }

                if (columnBlock == rowBlock)
                {
                    // The diagonal tile holds both (i, j) and (j, i): the row side saw every pair.
                    continue;
                }

                lock (locks[columnBlock])
                {
                    for (int cj = 0; cj < jCount; cj++)
                    {
                        int j = jStart + cj;
                        float limit = Limit(j);
                        for (int qi = 0; qi < iCount; qi++)
                        {
                            float v = tile[(qi * tileStride) + cj];
                            if (v <= limit)
                            {
                                Offer(scratch, j, iStart + qi, v);
                                limit = Limit(j);
                            }
                        }
                    }
                }
            }
        }

        /// <summary>The largest threshold of row i's channels: a value above it is no candidate of any.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Limit(int i) => channels == 1
            ? buffers.Threshold[i]
            : Math.Max(buffers.Threshold[i * 2], buffers.Threshold[(i * 2) + 1]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Offer(JoinScratch scratch, int i, int position, float approx)
        {
            int slot = channels == 1 ? i : (i * 2) + (labels![i] == labels[position] ? 0 : 1);
            if (approx <= buffers.Threshold[slot])
            {
                buffers.Add(slot, k, approx, position, scratch);
            }
        }

        private unsafe void Rows(JoinScratch scratch, ReadOnlySpan<float> row, int i, int jStart, int self)
        {
            int count = row.Length;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                fixed (float* pr = row)
                {
                    for (; j + 8 <= count; j += 8)
                    {
                        uint mask = Vector256.LessThanOrEqual(Vector256.Load(pr + j), Vector256.Create(Limit(i))).ExtractMostSignificantBits();
                        while (mask != 0)
                        {
                            int bit = BitOperations.TrailingZeroCount(mask);
                            mask &= mask - 1;
                            if (j + bit != self)
                            {
                                Offer(scratch, i, jStart + j + bit, row[j + bit]);
                            }
                        }
                    }
                }
            }

            for (; j < count; j++)
            {
                if (j != self && row[j] <= Limit(i))
                {
                    Offer(scratch, i, jStart + j, row[j]);
                }
            }
        }

        /// <summary>Row i's k best of channel ch, exact: its candidates recomputed in the difference form.</summary>
        public unsafe float[] Refine(int i, int ch, SearchJob<float> job, float[] select)
        {
            int slot = (i * channels) + ch;
            select = buffers.Prune(slot, k, select);
            Span<double> bestD = job.BestDistance.AsSpan(i * k, k);
            Span<int> bestI = job.BestIndex.AsSpan(i * k, k);
            int count = buffers.Count[slot];
            float[] approx = buffers.Approx[slot];
            int[] positions = buffers.Position[slot];
            float threshold = buffers.Threshold[slot];
            int stride = rows.Stride;
            fixed (float* p = rows.Data)
            {
                for (int c = 0; c < count; c++)
                {
                    if (!(approx[c] <= threshold))
                    {
                        continue;
                    }

                    int position = positions[c];
                    double d = DistanceKernel.Kernel1x1(p + ((long)i * stride), p + ((long)position * stride), stride);
                    int index = rows.Indices[position];
                    if (d > bestD[k - 1] || (d == bestD[k - 1] && index > bestI[k - 1]))
                    {
                        continue;
                    }

                    Insert(bestD, bestI, d, index);
                }
            }

            return select;
        }
    }

    /// <summary>Per (row, channel) slot: the candidate buffer of <see cref="GemmScratch"/>, for all rows at once (the self-join fills any row from any tile).</summary>
    private sealed class RowCandidates
    {
        public RowCandidates(int slots, int k)
        {
            Capacity = Math.Max(64, 4 * k);
            Bound = new double[slots];
            Threshold = new float[slots];
            Count = new int[slots];
            Approx = new float[slots][];
            Position = new int[slots][];
            Array.Fill(Threshold, float.PositiveInfinity);
            for (int i = 0; i < slots; i++)
            {
                Approx[i] = new float[Capacity];
                Position[i] = new int[Capacity];
            }
        }

        public int Capacity { get; }

        public double[] Bound { get; }

        public float[] Threshold { get; }

        public int[] Count { get; }

        public float[][] Approx { get; }

        public int[][] Position { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int slot, int k, float approx, int position, JoinScratch scratch)
        {
            if (Count[slot] == Approx[slot].Length)
            {
                scratch.Select = Prune(slot, k, scratch.Select);
                if (Count[slot] * 2 > Approx[slot].Length)
                {
                    Array.Resize(ref Approx[slot], Approx[slot].Length * 2);
                    Array.Resize(ref Position[slot], Position[slot].Length * 2);
                }

                if (!(approx <= Threshold[slot]))
                {
                    return;
                }
            }

            int c = Count[slot]++;
            Approx[slot][c] = approx;
            Position[slot][c] = position;
        }

        /// <summary>As <see cref="GemmScratch.Prune"/>: threshold = (k-th smallest approximate value held) + 2B, rounded up; drops every candidate above it.</summary>
        public float[] Prune(int slot, int k, float[] select)
        {
            int count = Count[slot];
            if (count < k)
            {
                return select;
            }

            if (select.Length < count)
            {
                select = new float[Math.Max(count, select.Length * 2)];
            }

            float[] approx = Approx[slot];
            Span<float> values = select.AsSpan(0, count);
            approx.AsSpan(0, count).CopyTo(values);
            values.Sort();
            double limit = values[k - 1] + (2 * Bound[slot]);
            float threshold = (float)limit;
            if (threshold < limit)
            {
                threshold = MathF.BitIncrement(threshold);
            }

            Threshold[slot] = Math.Min(Threshold[slot], threshold);
            threshold = Threshold[slot];
            int[] positions = Position[slot];
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

            Count[slot] = kept;
            return select;
        }
    }
}
