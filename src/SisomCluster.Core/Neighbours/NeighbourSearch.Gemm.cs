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

        // The GEMM runs on references centred on their mean and on queries centred on the same point (PackedRows.Centred);
        // centred packs and their panels are built here, once, before the parallel loop shares them.
        var centred = new Dictionary<PackedRows<float>, (ReferencePanels Panels, float[] Centre)>(ReferenceEqualityComparer.Instance);
        foreach (SearchJob<float> job in gemm)
        {
            if (!centred.ContainsKey(job.References))
            {
                PackedRows<float> pack = job.References.Centred();
                centred[job.References] = (pack.Panels(nr), pack.Centre!);
            }
        }

        int maxK = gemm.Max(j => j.K);
        int maxStride = gemm.Max(j => j.Queries.Stride);
        WorkQueue.Run(
            work.Count,
            options.MaxDegreeOfParallelism,
            () => new GemmScratch(options.QueryBlockSize, referenceBlock, maxStride, maxK),
            (w, scratch) =>
            {
                (SearchJob<float> job, int start, int count) = work[w];
                (ReferencePanels panels, float[] centre) = centred[job.References];
                SearchBlockGemm(job, isa, panels, centre, start, count, referenceBlock, scratch);
            });
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
    private static unsafe void SearchBlockGemm(SearchJob<float> job, KernelIsa isa, ReferencePanels panels, float[] centre, int queryStart, int queryCount, int referenceBlock, GemmScratch scratch)
    {
        PackedRows<float> references = job.References;
        PackedRows<float> queries = job.Queries;
        int nr = panels.Width;
        int k = job.K;
        int stride = queries.Stride;
        float[] centredQueries = scratch.Queries;
        float[] queryNorms = scratch.QueryNorms;
        PackedRows<float>.CentreRows(queries.Data, queryStart, queryCount, stride, centre, centredQueries);
        CandidateBuffers candidates = scratch.Candidates;
        candidates.Reset(queryCount);
        for (int qi = 0; qi < queryCount; qi++)
        {
            queryNorms[qi] = PackedRows<float>.SquaredNorm(centredQueries.AsSpan(qi * stride, stride), scratch.Wide);
            candidates.Bound[qi] = GemmKernel.ErrorBound(Math.Sqrt(queryNorms[qi]), panels.MaxNorm, stride);
        }

        float[] tile = scratch.Tile;
        for (int refStart = 0; refStart < references.Count; refStart += referenceBlock)
        {
            int refCount = Math.Min(referenceBlock, references.Count - refStart);
            int tileStride = (refCount + nr - 1) / nr * nr;
            GemmKernel.ApproximateDistances(isa, centredQueries, stride, queryNorms, 0, queryCount, panels, refStart, refCount, tile, tileStride);
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
                        ulong mask = AtMost16(pr + j, candidates.Threshold[qi]);
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
                    if (row[j] <= candidates.Threshold[qi])
                    {
                        Consider(job, scratch, qi, k, row[j], refStart + j, exclude, excludeLabel);
                    }
                }
            }
        }

        fixed (float* pq = queries.Data)
        fixed (float* pr = references.Data)
        {
            float[] select = scratch.Select;
            for (int qi = 0; qi < queryCount; qi++)
            {
                int q = queryStart + qi;
                candidates.Refine(qi, k, pq + ((long)q * stride), pr, stride, references.Indices, job.BestDistance.AsSpan(q * k, k), job.BestIndex.AsSpan(q * k, k), ref select);
            }

            scratch.Select = select;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Consider(SearchJob<float> job, GemmScratch scratch, int qi, int k, float approx, int position, int exclude, int excludeLabel)
    {
        int index = job.References.Indices[position];
        if (index == exclude || (excludeLabel >= 0 && job.ReferenceLabels![index] == excludeLabel))
        {
            return;
        }

        float[] select = scratch.Select;
        scratch.Candidates.Add(qi, k, approx, position, ref select);
        scratch.Select = select;
    }

    /// <summary>One worker's tile, centred query block and per-query candidate buffers (approximate distance, position in the reference pack).</summary>
    private sealed class GemmScratch(int queries, int referenceBlock, int stride, int k)
    {
        public float[] Tile { get; } = new float[queries * referenceBlock];

        /// <summary>The block's queries minus the references' centre, and their squared norms.</summary>
        public float[] Queries { get; } = new float[queries * stride];

        public float[] QueryNorms { get; } = new float[queries];

        public double[] Wide { get; } = new double[stride];

        /// <summary>Slot = the query's place in its block; reset for each block.</summary>
        public CandidateBuffers Candidates { get; } = new(queries, k);

        public float[] Select { get; set; } = new float[CandidateBuffers.CapacityFor(k)];
    }
}
