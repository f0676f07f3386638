using System.Diagnostics;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// Peak live managed memory of committing one 100 000-row shard with 512-d embeddings, both ways the writer takes rows:
/// the whole shard in a list first (what the worker did before it streamed), and streamed into the commit as produced
/// (what the worker does now). Live memory is sampled after a full collection every 4 096 rows, so garbage not yet
/// collected does not count. The numbers are printed; the assertion is only that streaming is bounded by chunks, not
/// by the shard (a factor, not a timing). Runs alone: it writes ~400 MB to PostgreSQL.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class CommitMemoryTests
{
    private const int Rows = 100_000;
    private const int Dimension = 512;
    private const int SampleEvery = 4096;

    private readonly DatabaseFixture _fixture;
    private readonly ITestOutputHelper _output;

    public CommitMemoryTests(DatabaseFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Fact]
    public async Task Streaming_a_100k_row_shard_into_its_commit_holds_a_chunk_not_the_shard()
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId, shards: 3, itemsPerShard: Rows);
        var writer = new ShardResultWriter(_fixture.DataSource);
        await writer.CommitAsync(runId, 2, 1, ScoreRows.Make(contextId, 100, Dimension, prefix: "warm"), []);

        // Before: the shard's rows in one list, then one commit. After: rows go into the commit as they are made. Each in
        // its own method, so that nothing of the first is still reachable while the second is measured.
        (ShardCommitOutcome listed, PeakMemory inMemory, TimeSpan listTime) = await CommitListAsync(writer, runId, contextId);
        (ShardCommitOutcome streamedOutcome, PeakMemory streamed, TimeSpan streamTime) = await CommitStreamedAsync(writer, runId, contextId);

        Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, Rows, 0), listed);
        Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, Rows, 0), streamedOutcome);
        string line = FormattableString.Invariant(
            $"Commit of {Rows} rows with {Dimension}-d embeddings: peak live managed memory {inMemory.PeakMiB:F1} MiB as one list ({listTime.TotalSeconds:F1} s), {streamed.PeakMiB:F1} MiB streamed in chunks of {ShardCommit.ChunkRows} ({streamTime.TotalSeconds:F1} s)");
        _output.WriteLine(line);
        Console.WriteLine(line);

        // One list of the shard holds Rows × Dimension floats (~195 MiB); a chunk ~2 MiB.
        Assert.True(inMemory.PeakMiB > 150, line);
        Assert.True(streamed.PeakMiB < inMemory.PeakMiB / 10, line);

        // And the streamed samples do see the chunk being filled (the measurement is not blind).
        Assert.True(streamed.PeakMiB > 0.5, line);
    }

    private static async Task<(ShardCommitOutcome, PeakMemory, TimeSpan)> CommitListAsync(ShardResultWriter writer, Guid runId, Guid contextId)
    {
        var memory = new PeakMemory();
        var clock = Stopwatch.StartNew();
        List<ItemScoreRow> list = [.. memory.Sampled(ScoreRows.Stream(contextId, Rows, Dimension, prefix: "list"))];
        memory.Sample();
        ShardCommitOutcome outcome = await writer.CommitAsync(runId, 0, 1, list, []);
        return (outcome, memory, clock.Elapsed);
    }

    private static async Task<(ShardCommitOutcome, PeakMemory, TimeSpan)> CommitStreamedAsync(ShardResultWriter writer, Guid runId, Guid contextId)
    {
        // Off the previous method's completion: its continuation runs inline, with the list still on the stack.
        await Task.Yield();
        var memory = new PeakMemory();
        var clock = Stopwatch.StartNew();
        ShardCommit commit = await writer.BeginAsync(runId, 1, 1);
        await using (commit)
        {
            await commit.AddScoresAsync(memory.Sampled(ScoreRows.Stream(contextId, Rows, Dimension, prefix: "stream")));
            memory.Sample();
            return (await commit.CompleteAsync(), memory, clock.Elapsed);
        }
    }

    /// <summary>Peak of live managed memory above what was live when it was made, sampled after full collections.</summary>
    private sealed class PeakMemory
    {
        private readonly long _baseline = GC.GetTotalMemory(forceFullCollection: true);
        private long _peak;

        public double PeakMiB => _peak / (1024.0 * 1024.0);

        public void Sample()
        {
            long now = GC.GetTotalMemory(forceFullCollection: true);
            _peak = Math.Max(_peak, now - _baseline);
        }

        public IEnumerable<T> Sampled<T>(IEnumerable<T> source)
        {
            int count = 0;
            foreach (T item in source)
            {
                yield return item;
                // Off the chunk boundary (4 000 = 3 chunks + 928 rows), so a streamed sample sees a chunk being filled.
                if (++count % SampleEvery == SampleEvery - 96)
                {
                    Sample();
                }
            }
        }
    }
}
