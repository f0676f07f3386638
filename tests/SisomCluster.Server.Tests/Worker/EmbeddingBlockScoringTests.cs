using SisomCluster.Core;
using SisomCluster.Core.Heads;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using SisomCluster.Inference.Npy;
using SisomCluster.Inference.Pools;
using SisomCluster.Server.Scoring;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Worker;

/// <summary>
/// The worker's block path for stored embeddings (<see cref="EmbeddingsPoolSource.ReadBlocksAsync"/> →
/// <see cref="ShardScorer.ScoreBlocksAsync"/>) scores exactly what the item path does: same ids in the same order, the same
/// scores to the bit, reference items among the pool left out of T, duplicate rows skipped — whatever the block size.
/// </summary>
public sealed class EmbeddingBlockScoringTests : IDisposable
{
    private const int Rows = 9000;
    private const int Dimension = 24;
    private const int Classes = 4;
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-blocks-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(ShardScorer.EmbeddingBatchRows)]
    [InlineData(100_000)]
    public async Task Blocks_score_bit_identically_to_items(int blockRows)
    {
        (EmbeddingsPoolSource source, LoadedContext context) = Pool(float64: false);
        PoolListing listing = await PoolListing.CollectAsync(source.ListAsync(shardSize: 5000));
        Assert.Equal(2, listing.Shards.Count);
        Assert.Equal(2, listing.Duplicates.Count);

        foreach (ListedShard shard in listing.Shards)
        {
            (List<ScoredItem> items, int itemFailures) = await ScoreItemsAsync(source, shard, context);
            (List<ScoredItem> blocks, int blockFailures) = await ScoreBlocksAsync(source, shard, context, blockRows);

            Assert.Equal(shard.ItemCount, items.Count);
            Assert.Equal((0, 0), (itemFailures, blockFailures));
            Assert.Equal(items.Select(s => s.Id), blocks.Select(s => s.Id));
            Assert.Equal(items.Select(s => s.Score), blocks.Select(s => s.Score));
            Assert.Equal(items.Select(s => s.NearestReference), blocks.Select(s => s.NearestReference));
        }
    }

    [Fact]
    public async Task Float64_rows_and_reference_members_match_the_item_path()
    {
        (EmbeddingsPoolSource source, LoadedContext context) = Pool(float64: true);
        PoolListing listing = await PoolListing.CollectAsync(source.ListAsync(shardSize: Rows));
        ListedShard shard = Assert.Single(listing.Shards);

        (List<ScoredItem> items, _) = await ScoreItemsAsync(source, shard, context);
        (List<ScoredItem> blocks, _) = await ScoreBlocksAsync(source, shard, context, 1000);

        Assert.Equal(items.Select(s => (s.Id, s.Score, s.NearestReference)), blocks.Select(s => (s.Id, s.Score, s.NearestReference)));
        Assert.Equal(context.ReferenceIds.Count, blocks.Count(s => s.Score.IsReference));
        Assert.All(blocks.Where(s => s.Score.IsReference), s => Assert.NotEqual(s.Id, s.NearestReference));
    }

    [Fact]
    public async Task A_block_of_another_dimension_is_refused_with_the_item_named()
    {
        (_, LoadedContext context) = Pool(float64: false);
        IAsyncEnumerable<EmbeddingBlock> wrong = new[] { new EmbeddingBlock(["odd-one"], new float[Dimension + 1], Dimension + 1) }.ToAsyncEnumerable();

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ShardScorer(null).ScoreBlocksAsync(wrong, context, false, (_, _) => ValueTask.CompletedTask, CancellationToken.None));

        Assert.Equal($"Item 'odd-one' has an embedding of length {Dimension + 1}, the context expects {Dimension}.", e.Message);
    }

    private static async Task<(List<ScoredItem> Scored, int Failed)> ScoreItemsAsync(EmbeddingsPoolSource source, ListedShard shard, LoadedContext context)
    {
        var scored = new List<ScoredItem>();
        ShardScoreSummary summary = await new ShardScorer(null).ScoreAsync(source.ReadAsync(shard.Descriptor), context, keepEmbeddings: false, Collect(scored), CancellationToken.None);
        return (scored, summary.Failed);
    }

    private static async Task<(List<ScoredItem> Scored, int Failed)> ScoreBlocksAsync(EmbeddingsPoolSource source, ListedShard shard, LoadedContext context, int blockRows)
    {
        var scored = new List<ScoredItem>();
        ShardScoreSummary summary = await new ShardScorer(null).ScoreBlocksAsync(source.ReadBlocksAsync(shard.Descriptor, blockRows), context, keepEmbeddings: false, Collect(scored), CancellationToken.None);
        Assert.Equal(scored.Count, summary.Scored);
        return (scored, summary.Failed);
    }

    private static Func<ShardScoreBatch, CancellationToken, ValueTask> Collect(List<ScoredItem> scored) => (batch, _) =>
    {
        scored.AddRange(batch.Scored);
        return ValueTask.CompletedTask;
    };

    /// <summary>
    /// A pool of <see cref="Rows"/> clustered embeddings with two duplicate ids (rows skipped), whose first 300 rows are the
    /// labeled reference set of the context (so they are pool items and members of T at once).
    /// </summary>
    private (EmbeddingsPoolSource Source, LoadedContext Context) Pool(bool float64)
    {
        var random = new Random(31);
        double[] values = new double[Rows * Dimension];
        int[] classes = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            classes[r] = r % Classes;
            for (int d = 0; d < Dimension; d++)
            {
                values[(r * Dimension) + d] = (random.NextDouble() * 2) + (d % Classes == classes[r] ? 2.0 : 0.0);
            }
        }

        string[] ids = Enumerable.Range(0, Rows).Select(r => $"row-{r:D5}").ToArray();
        ids[4999] = ids[10];
        ids[5000] = ids[20];
        string npy = Path.Combine(_directory, float64 ? "pool64.npy" : "pool32.npy");
        if (float64)
        {
            NpyFile.Write(npy, new NpyArray(values, Rows, Dimension));
        }
        else
        {
            NpyFile.Write(npy, new NpyArray(values.Select(v => (float)v).ToArray(), Rows, Dimension));
        }

        File.WriteAllLines(Path.ChangeExtension(npy, ".ids.txt"), ids);

        const int References = 300;
        float[] referenceValues = values.Take(References * Dimension).Select(v => (float)v).ToArray();
        var features = new FeatureMatrix(referenceValues, References, Dimension);
        int[] labels = classes.Take(References).ToArray();
        LinearHead head = LogisticRegressionFitter.Fit(features, labels, Classes).Head;
        ScoringContext scoring = ScoringContext.Build(head, features, labels, new ScoringContextOptions { KnnK = 5 });
        return (new EmbeddingsPoolSource(npy), new LoadedContext(Guid.NewGuid(), scoring, ids.Take(References).ToArray()));
    }
}
