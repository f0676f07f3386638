namespace SisomCluster.Core.Neighbours;

/// <summary>
/// Runs work items 0..count−1 on at most one thread per core (or <c>MaxDegreeOfParallelism</c>), each thread taking the
/// next item as it finishes one, with its own scratch. Parallel.For hands out growing chunks of a range and may run more
/// threads than cores: in a self-join of 10⁴ rows on 2 cores (79 equal items) the last ~75 ms ran on one thread while
/// the other core idled. Here the tail is at most one item. An item that throws stops the hand-out; the exception
/// surfaces wrapped in an AggregateException (as from Parallel.For), except on the single-thread path, where it is thrown as is.
/// </summary>
internal static class WorkQueue
{
    public static void Run<TScratch>(int count, int maxDegreeOfParallelism, Func<TScratch> scratch, Action<int, TScratch> body)
    {
        int workers = Math.Min(count, maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism);
        if (workers <= 1)
        {
            TScratch own = scratch();
            for (int w = 0; w < count; w++)
            {
                body(w, own);
            }

            return;
        }

        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, _ =>
        {
            try
            {
                TScratch own = scratch();
                int w;
                while ((w = Interlocked.Increment(ref next)) < count)
                {
                    body(w, own);
                }
            }
            catch
            {
                // The other threads take no further item: the error surfaces when the items in hand are done.
                Interlocked.Exchange(ref next, count);
                throw;
            }
        });
    }
}
