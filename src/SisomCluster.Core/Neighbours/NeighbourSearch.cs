using System.Numerics;
using System.Runtime.CompilerServices;

namespace SisomCluster.Core.Neighbours;

/// <summary>
/// Exact nearest-neighbour search, blocked for cache and parallel over query blocks of all jobs at
/// once (so many small classes still fill every core). The inner loops allocate nothing: each
/// worker owns its tile and candidate buffers for its whole life.
/// </summary>
/// <remarks>
/// float32 jobs run in two steps (ARCHITECTURE.md §9): the GEMM form (<see cref="GemmKernel"/>) gives every pair an
/// approximate distance within a proven bound B of the difference form; per query, a candidate buffer keeps every
/// reference whose approximate distance is within 2B of the k-th smallest approximate distance seen so far (nothing
/// outside can be among the exact k best), and at the end each kept candidate is recomputed in the difference form
/// and ranked as before. Distances are therefore the difference form's, bit for bit, whatever the kernel's ISA,
/// block sizes or thread count. float64 jobs, and <see cref="KernelIsa.Difference"/>, use the difference form for every pair.
/// </remarks>
internal static partial class NeighbourSearch
{
    /// <summary>The GEMM form pays off when a job has at least this many references per neighbour kept.</summary>
    public const int MinReferencesPerK = 32;

    public static void Run<T>(IReadOnlyList<SearchJob<T>> jobs, NeighbourSearchOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        KernelIsa isa = typeof(T) == typeof(float) ? options.Kernel ?? KernelSelection.Current : KernelIsa.Difference;
        if (isa != KernelIsa.Difference)
        {
            RunGemm((IReadOnlyList<SearchJob<float>>)jobs, options, isa);
            return;
        }

        RunDifference(jobs, options);
    }

    private static void RunDifference<T>(IReadOnlyList<SearchJob<T>> jobs, NeighbourSearchOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var work = WorkItems(jobs, options);
        int rowBytes = jobs.Count == 0 ? 1 : jobs[0].Queries.Stride * Unsafe.SizeOf<T>();
        int referenceBlock = options.ReferenceBlockFor(rowBytes);
        int tileLength = options.QueryBlockSize * referenceBlock;
        Parallel.For(
            0,
            work.Count,
            new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism },
            () => new T[tileLength],
            (w, _, tile) =>
            {
                (SearchJob<T> job, int start, int count) = work[w];
                SearchBlock(job, start, count, referenceBlock, tile);
                return tile;
            },
            _ => { });
    }

    private static List<(SearchJob<T> Job, int Start, int Count)> WorkItems<T>(IReadOnlyList<SearchJob<T>> jobs, NeighbourSearchOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var work = new List<(SearchJob<T> Job, int Start, int Count)>();
        foreach (SearchJob<T> job in jobs)
        {
            if (job.References.Count == 0)
            {
                continue;
            }

            for (int start = 0; start < job.Queries.Count; start += options.QueryBlockSize)
            {
                work.Add((job, start, Math.Min(options.QueryBlockSize, job.Queries.Count - start)));
            }
        }

        return work;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SearchBlock<T>(SearchJob<T> job, int queryStart, int queryCount, int referenceBlock, T[] tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PackedRows<T> references = job.References;
        int k = job.K;
        for (int refStart = 0; refStart < references.Count; refStart += referenceBlock)
        {
            int refCount = Math.Min(referenceBlock, references.Count - refStart);
            DistanceKernel.SquaredDistances(job.Queries, queryStart, queryCount, references, refStart, refCount, tile);
            for (int qi = 0; qi < queryCount; qi++)
            {
                int q = queryStart + qi;
                int exclude = job.ExcludeIndex is null ? -1 : job.ExcludeIndex[q];
                int excludeLabel = job.ExcludeLabel is null ? -1 : job.ExcludeLabel[q];
                Span<double> bestD = job.BestDistance.AsSpan(q * k, k);
                Span<int> bestI = job.BestIndex.AsSpan(q * k, k);
                ReadOnlySpan<T> row = tile.AsSpan(qi * refCount, refCount);
                for (int j = 0; j < refCount; j++)
                {
                    double d = double.CreateTruncating(row[j]);
                    int index = references.Indices[refStart + j];
                    if (d > bestD[k - 1] || (d == bestD[k - 1] && index > bestI[k - 1]))
                    {
                        continue;
                    }

                    if (index == exclude || (excludeLabel >= 0 && job.ReferenceLabels![index] == excludeLabel))
                    {
                        continue;
                    }

                    Insert(bestD, bestI, d, index);
                }
            }
        }
    }

    /// <summary>Inserts (d, index) into the ascending (distance, index) list, dropping the last entry.</summary>
    private static void Insert(Span<double> bestD, Span<int> bestI, double d, int index)
    {
        int pos = bestD.Length - 1;
        while (pos > 0 && (d < bestD[pos - 1] || (d == bestD[pos - 1] && index < bestI[pos - 1])))
        {
            bestD[pos] = bestD[pos - 1];
            bestI[pos] = bestI[pos - 1];
            pos--;
        }

        bestD[pos] = d;
        bestI[pos] = index;
    }
}
