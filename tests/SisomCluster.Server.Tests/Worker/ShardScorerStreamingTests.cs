using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

/// <summary>The worker's scorer hands a shard's results on batch by batch while it reads, never the whole shard at once.</summary>
public sealed class ShardScorerStreamingTests
{
    private const int D = 8;

    [Fact]
    public async Task A_big_shard_reaches_the_sink_in_bounded_batches_while_it_is_still_being_read()
    {
        const int Count = 10_000;
        LoadedContext context = Context();
        int read = 0;
        var batches = new List<(int Scored, int Failed, int ReadSoFar)>();
        var ids = new List<string>();

        ShardScoreSummary summary = await new ShardScorer(null).ScoreAsync(
            Items(Count, i => Interlocked.Exchange(ref read, i + 1)),
            context,
            keepEmbeddings: true,
            (batch, _) =>
            {
                batches.Add((batch.Scored.Count, batch.Failed.Count, Volatile.Read(ref read)));
                ids.AddRange(batch.Scored.Select(s => s.Id).Concat(batch.Failed.Select(f => f.Id)));
                Assert.All(batch.Scored, s => Assert.Equal(D, s.Embedding!.Length));
                return ValueTask.CompletedTask;
            },
            CancellationToken.None);

        // Every item exactly once, in batches no bigger than the scorer's chunk, the first well before the end of the read.
        Assert.Equal((Count - (Count / 100), Count / 100), (summary.Scored, summary.Failed));
        Assert.Equal(Count, ids.Count);
        Assert.Equal(Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.True(batches.Count >= 3, $"{batches.Count} batches");
        Assert.All(batches, b => Assert.True(b.Scored + b.Failed <= 4096 * 2, $"a batch of {b.Scored + b.Failed}"));
        Assert.True(batches[0].ReadSoFar < Count, "the first batch came only after the whole shard was read");

        // The same results as scoring the shard in memory.
        ShardScores whole = await new ShardScorer(null).ScoreAsync(Items(Count, _ => { }), context, keepEmbeddings: false, CancellationToken.None);
        Assert.Equal(whole.Scored.Select(s => s.Id), ids.Where(id => !id.StartsWith("bad", StringComparison.Ordinal)));
    }

    private static async IAsyncEnumerable<PoolItem> Items(int count, Action<int> reading)
    {
        var random = new Random(11);
        for (int i = 0; i < count; i++)
        {
            reading(i);
            if (i % 100 == 99)
            {
                yield return new PoolItem { Id = $"bad-{i:D5}", ErrorCode = PoolItem.MissingCode, Error = "gone" };
                continue;
            }

            yield return new PoolItem { Id = $"item-{i:D5}", Embedding = Row(random, i % 3) };
            if (i % 1000 == 0)
            {
                await Task.Yield();
            }
        }
    }

    private static float[] Row(Random random, int cls) =>
        [.. Enumerable.Range(0, D).Select(d => (float)((random.NextDouble() * 0.6) + (d % 3 == cls ? 2.0 : 0.0)))];

    private static LoadedContext Context()
    {
        var random = new Random(3);
        const int References = 60;
        var data = new float[References * D];
        int[] labels = new int[References];
        for (int i = 0; i < References; i++)
        {
            labels[i] = i % 3;
            Row(random, labels[i]).CopyTo(data, i * D);
        }

        var features = new FeatureMatrix(data, References, D);
        LinearHead head = LogisticRegressionFitter.Fit(features, labels, 3).Head;
        return new LoadedContext(Guid.NewGuid(), ScoringContext.Build(head, features, labels), [.. Enumerable.Range(0, References).Select(i => $"ref-{i}")]);
    }
}
