using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SisomCluster.Core.Neighbours;

/// <summary>The candidate machinery both GEMM-form searches share: candidate buffers, their k-th selection, the tile scan's compares.</summary>
internal static partial class NeighbourSearch
{
    /// <summary>
    /// Candidate buffers, one per slot (a query of the row-wise search's block; a (row, channel) of the self-join): every
    /// reference whose approximate (GEMM-form) distance may still be among the slot's k best, its position in the reference
    /// pack, and the slot's threshold. Refinement recomputes the kept candidates in the difference form.
    /// </summary>
    private sealed class CandidateBuffers
    {
        public CandidateBuffers(int slots, int k)
        {
            Capacity = CapacityFor(k);
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

        /// <summary>Per slot: the bound B on |GEMM form − difference form| against any reference of the search.</summary>
        public double[] Bound { get; }

        /// <summary>Per slot: candidates above this approximate distance cannot be among the k best.</summary>
        public float[] Threshold { get; }

        public int[] Count { get; }

        public float[][] Approx { get; }

        public int[][] Position { get; }

        public static int CapacityFor(int k) => Math.Max(64, 4 * k);

        /// <summary>Empties slots 0..slots − 1 for the next block of queries.</summary>
        public void Reset(int slots)
        {
            Array.Fill(Threshold, float.PositiveInfinity, 0, slots);
            Array.Clear(Count, 0, slots);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(int slot, int k, float approx, int position, ref float[] select)
        {
            if (Count[slot] == Approx[slot].Length)
            {
                Prune(slot, k, ref select);
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
            if (k == 1)
            {
                // The threshold follows the best value held at once (not only when the buffer fills): far fewer values get past it.
                Threshold[slot] = Math.Min(Threshold[slot], Limit(approx, Bound[slot]));
            }
            else if (c + 1 == k && float.IsPositiveInfinity(Threshold[slot]))
            {
                Prune(slot, k, ref select);
            }
        }

        /// <summary>
        /// Threshold = (k-th smallest approximate distance held) + 2B, rounded up, then drops every candidate above it.
        /// The exact k-th distance is at most A_k + B, and a pair whose exact distance is at most that has an approximate one
        /// of at most A_k + 2B, so nothing dropped can be among the k best. <paramref name="select"/> is scratch, grown when short.
        /// </summary>
        public void Prune(int slot, int k, ref float[] select)
        {
            int count = Count[slot];
            if (count < k)
            {
                return;
            }

            if (select.Length < count)
            {
                select = new float[Math.Max(count, select.Length * 2)];
            }

            float[] approx = Approx[slot];
            Span<float> values = select.AsSpan(0, count);
            approx.AsSpan(0, count).CopyTo(values);
            Threshold[slot] = Math.Min(Threshold[slot], Limit(KthSmallest(values, k - 1), Bound[slot]));
            float threshold = Threshold[slot];
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
        }

        /// <summary>
        /// The slot's k best, exact: after a last prune, each kept candidate recomputed in the difference form against
        /// <paramref name="x"/> and ranked by (distance, source index) into <paramref name="bestD"/>/<paramref name="bestI"/>.
        /// </summary>
        public unsafe void Refine(int slot, int k, float* x, float* references, int stride, int[] indices, Span<double> bestD, Span<int> bestI, ref float[] select)
        {
            Prune(slot, k, ref select);
            int count = Count[slot];
            float[] approx = Approx[slot];
            int[] positions = Position[slot];
            float threshold = Threshold[slot];
            for (int c = 0; c < count; c++)
            {
                if (!(approx[c] <= threshold))
                {
                    continue;
                }

                int position = positions[c];
                double d = DistanceKernel.Kernel1x1(x, references + ((long)position * stride), stride);
                int index = indices[position];
                if (d > bestD[k - 1] || (d == bestD[k - 1] && index > bestI[k - 1]))
                {
                    continue;
                }

                Insert(bestD, bestI, d, index);
            }
        }

        /// <summary>(approximate value) + 2B, rounded up to a float: no pair above it can beat the pair that gave the value.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Limit(float approx, double bound)
        {
            double limit = approx + (2 * bound);
            float threshold = (float)limit;
            return threshold < limit ? MathF.BitIncrement(threshold) : threshold;
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

    /// <summary>Bit j set where p[j] ≤ limit, j &lt; 16 (Vector512 where accelerated, else four Vector128: SSE or NEON).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe ulong AtMost16(float* p, float limit)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.LessThanOrEqual(Vector512.Load(p), Vector512.Create(limit)).ExtractMostSignificantBits();
        }

        Vector128<float> l = Vector128.Create(limit);
        return Vector128.LessThanOrEqual(Vector128.Load(p), l).ExtractMostSignificantBits()
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 4), l).ExtractMostSignificantBits() << 4)
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 8), l).ExtractMostSignificantBits() << 8)
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 12), l).ExtractMostSignificantBits() << 12);
    }

    /// <summary>Bit j set where p[j] ≤ limits[j], j &lt; 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe ulong AtMost16(float* p, float* limits)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.LessThanOrEqual(Vector512.Load(p), Vector512.Load(limits)).ExtractMostSignificantBits();
        }

        return Vector128.LessThanOrEqual(Vector128.Load(p), Vector128.Load(limits)).ExtractMostSignificantBits()
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 4), Vector128.Load(limits + 4)).ExtractMostSignificantBits() << 4)
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 8), Vector128.Load(limits + 8)).ExtractMostSignificantBits() << 8)
            | ((ulong)Vector128.LessThanOrEqual(Vector128.Load(p + 12), Vector128.Load(limits + 12)).ExtractMostSignificantBits() << 12);
    }
}
