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
/// either side: B_i = ErrorBound(‖x_i‖, max‖x‖) ≥ 3γ(‖x_i‖ + ‖x_j‖)², norms of the pack centred on its mean (the GEMM runs on
/// <see cref="PackedRows{T}.Centred"/>; the refinement on the rows themselves).
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

        // With labels, the rows are joined grouped by label (stable): most tiles then hold one label against one label and
        // are scanned against one channel's thresholds (same label: leave-one-out; other: margin). The pack keeps the rows'
        // source indices, so ties break as before, and each row's answer goes back to its own place.
        int[]? order = labels is null ? null : ByLabel(labels);
        PackedRows<float> pack = order is null ? rows : rows.Gather(order);
        int[]? packLabels = labels is null ? null : order is null ? labels : Array.ConvertAll(order, i => labels[i]);
        PackedRows<float> centred = pack.Centred();
        ReferencePanels panels = centred.Panels(nr);
        float[] norms = centred.SquaredNorms();
        var buffers = new CandidateBuffers(n * channels, k);
        for (int i = 0; i < n; i++)
        {
            double bound = GemmKernel.ErrorBound(Math.Sqrt(norms[i]), panels.MaxNorm, pack.Stride);
            for (int ch = 0; ch < channels; ch++)
            {
                buffers.Bound[(i * channels) + ch] = bound;
            }
        }

        int blocks = (n + block - 1) / block;
        var locks = new object[blocks];
        var blockLabel = new int[blocks];
        for (int b = 0; b < blocks; b++)
        {
            locks[b] = new object();
            blockLabel[b] = packLabels is null ? 0 : BlockLabel(packLabels, b * block, Math.Min(n, (b + 1) * block));
        }

        var join = new Join(isa, pack, centred, norms, panels, packLabels, blockLabel, channels, k, block, blocks, buffers, locks);

        // Row block I meets blocks I.. (blocks − I tiles): pairing I with blocks − 1 − I gives every work item the same count.
        WorkQueue.Run(
            (blocks + 1) / 2,
            options.MaxDegreeOfParallelism,
            () => new JoinScratch(block, buffers.Capacity),
            (w, scratch) =>
            {
                join.RowBlock(w, scratch);
                if (blocks - 1 - w != w)
                {
                    join.RowBlock(blocks - 1 - w, scratch);
                }
            });

        var jobs = new SearchJob<float>[channels];
        for (int ch = 0; ch < channels; ch++)
        {
            jobs[ch] = new SearchJob<float>(rows, rows, k);
        }

        Parallel.For(
            0,
            blocks,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            () => new float[buffers.Capacity],
            (b, _, select) =>
            {
                int end = Math.Min(n, (b + 1) * block);
                for (int i = b * block; i < end; i++)
                {
                    for (int ch = 0; ch < channels; ch++)
                    {
                        select = join.Refine(i, ch, jobs[ch], order is null ? i : order[i], select);
                    }
                }

                return select;
            },
            _ => { });
        return jobs;
    }

    /// <summary>Positions ordered by label, then position (null when they already are).</summary>
    private static int[]? ByLabel(int[] labels)
    {
        bool sorted = true;
        for (int i = 1; i < labels.Length && sorted; i++)
        {
            sorted = labels[i - 1] <= labels[i];
        }

        if (sorted)
        {
            return null;
        }

        int[] order = new int[labels.Length];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        int[] keys = (int[])labels.Clone();
        Array.Sort(keys, order); // introsort is not stable: restore position order within each label below
        for (int s = 0; s < order.Length;)
        {
            int e = s + 1;
            while (e < order.Length && keys[e] == keys[s])
            {
                e++;
            }

            Array.Sort(order, s, e - s);
            s = e;
        }

        return order;
    }

    /// <summary>The label every row of [start, end) has, or −1 when they differ.</summary>
    private static int BlockLabel(int[] labels, int start, int end)
    {
        for (int i = start + 1; i < end; i++)
        {
            if (labels[i] != labels[start])
            {
                return -1;
            }
        }

        return labels[start];
    }

    private sealed class JoinScratch(int block, int capacity)
    {
        // + one vector: a row of the tile is read in whole vectors of 16 past its last column.
        public float[] Tile { get; } = new float[(block * block) + 16];

        public float[] RowLimits { get; } = new float[block];

        public float[] ColumnLimits { get; } = new float[block + 16];

        public int[] RowHits { get; } = new int[block * block];

        public int[] ColumnHits { get; } = new int[block * block];

        public float[] Select { get; set; } = new float[capacity];
    }

    private sealed class Join(KernelIsa isa, PackedRows<float> rows, PackedRows<float> centred, float[] norms, ReferencePanels panels, int[]? labels, int[] blockLabel, int channels, int k, int block, int blocks, CandidateBuffers buffers, object[] locks)
    {
        /// <summary>
        /// Row block I against column blocks I..: each tile's GEMM values are scanned once, in vectors of 16, against the row's
        /// and the column's current limits (a snapshot taken before the scan: limits only fall, so a stale one lets through more,
        /// never less); the few values at or below a limit are then offered under the row block's and the column block's lock.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void RowBlock(int rowBlock, JoinScratch scratch)
        {
            int n = rows.Count;
            int iStart = rowBlock * block;
            int iCount = Math.Min(block, n - iStart);
            float[] tile = scratch.Tile;
            float[] rowLimits = scratch.RowLimits;
            float[] columnLimits = scratch.ColumnLimits;
            int[] rowHits = scratch.RowHits;
            int[] columnHits = scratch.ColumnHits;
            for (int columnBlock = rowBlock; columnBlock < blocks; columnBlock++)
            {
                int jStart = columnBlock * block;
                int jCount = Math.Min(block, n - jStart);
                int tileStride = (jCount + panels.Width - 1) / panels.Width * panels.Width;
                bool diagonal = columnBlock == rowBlock;
                GemmKernel.ApproximateDistances(isa, centred.Data, centred.Stride, norms, iStart, iCount, panels, jStart, jCount, tile, tileStride);

                // −1: the tile mixes labels, so a value is checked against the larger of a row's two limits (Offer picks the channel).
                int channel = channels == 1 ? 0 : blockLabel[rowBlock] < 0 || blockLabel[columnBlock] < 0 ? -1 : blockLabel[rowBlock] == blockLabel[columnBlock] ? 0 : 1;
                for (int qi = 0; qi < iCount; qi++)
                {
                    rowLimits[qi] = Limit(iStart + qi, channel);
                }

                // The diagonal tile holds both (i, j) and (j, i): the row side sees every pair, the column side nothing.
                for (int cj = 0; cj < columnLimits.Length; cj++)
                {
                    columnLimits[cj] = !diagonal && cj < jCount ? Limit(jStart + cj, channel) : float.NegativeInfinity;
                }

                int rowHitCount = 0;
                int columnHitCount = 0;
                ulong lastMask = jCount % 16 == 0 ? ulong.MaxValue : (1UL << (jCount % 16)) - 1;
                fixed (float* pt = tile)
                fixed (float* pc = columnLimits)
                {
                    for (int qi = 0; qi < iCount; qi++)
                    {
                        float* t = pt + (qi * tileStride);
                        float rowLimit = rowLimits[qi];
                        for (int cj = 0; cj < jCount; cj += 16)
                        {
                            ulong r = AtMost16(t + cj, rowLimit);
                            ulong c = AtMost16(t + cj, pc + cj);
                            if ((r | c) == 0)
                            {
                                continue;
                            }

                            if (cj + 16 > jCount)
                            {
                                // Past the last column: padding of this row, or the next row's first values.
                                r &= lastMask;
                                c &= lastMask;
                            }

                            while (r != 0)
                            {
                                int bit = BitOperations.TrailingZeroCount(r);
                                r &= r - 1;
                                if (!diagonal || cj + bit != qi)
                                {
                                    rowHits[rowHitCount++] = (qi * tileStride) + cj + bit;
                                }
                            }

                            while (c != 0)
                            {
                                int bit = BitOperations.TrailingZeroCount(c);
                                c &= c - 1;
                                columnHits[columnHitCount++] = (qi * tileStride) + cj + bit;
                            }
                        }
                    }
                }

                if (rowHitCount > 0)
                {
                    lock (locks[rowBlock])
                    {
                        for (int h = 0; h < rowHitCount; h++)
                        {
                            int at = rowHits[h];
                            Offer(scratch, iStart + (at / tileStride), jStart + (at % tileStride), tile[at]);
                        }
                    }
                }

                if (columnHitCount > 0)
                {
                    lock (locks[columnBlock])
                    {
                        for (int h = 0; h < columnHitCount; h++)
                        {
                            int at = columnHits[h];
                            Offer(scratch, jStart + (at % tileStride), iStart + (at / tileStride), tile[at]);
                        }
                    }
                }
            }
        }

        /// <summary>Row i's limit for a tile of <paramref name="channel"/> (−1: mixed labels, the larger of both): a value above it is no candidate.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private float Limit(int i, int channel) => channels == 1
            ? buffers.Threshold[i]
            : channel >= 0 ? buffers.Threshold[(i * 2) + channel] : Math.Max(buffers.Threshold[i * 2], buffers.Threshold[(i * 2) + 1]);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Offer(JoinScratch scratch, int i, int position, float approx)
        {
            int slot = channels == 1 ? i : (i * 2) + (labels![i] == labels[position] ? 0 : 1);
            if (approx <= buffers.Threshold[slot])
            {
                float[] select = scratch.Select;
                buffers.Add(slot, k, approx, position, ref select);
                scratch.Select = select;
            }
        }

        /// <summary>Row i's k best of channel ch, exact: its candidates recomputed in the difference form, written to row <paramref name="output"/> of the job.</summary>
        public unsafe float[] Refine(int i, int ch, SearchJob<float> job, int output, float[] select)
        {
            int stride = rows.Stride;
            fixed (float* p = rows.Data)
            {
                buffers.Refine((i * channels) + ch, k, p + ((long)i * stride), p, stride, rows.Indices, job.BestDistance.AsSpan(output * k, k), job.BestIndex.AsSpan(output * k, k), ref select);
            }

            return select;
        }
    }
}
