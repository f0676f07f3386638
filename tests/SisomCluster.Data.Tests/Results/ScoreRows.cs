using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Data.Results;

namespace SisomCluster.Data.Tests.Results;

/// <summary>Deterministic result rows (seeded), as a worker would produce them.</summary>
internal static class ScoreRows
{
    public static List<ItemScoreRow> Make(Guid contextId, int count, int dimension = 0, string prefix = "item", int seed = 42) =>
        [.. Stream(contextId, count, dimension, prefix, seed)];

    /// <summary>The rows of <see cref="Make"/>, made one at a time as they are enumerated (a worker scoring a shard).</summary>
    public static IEnumerable<ItemScoreRow> Stream(Guid contextId, int count, int dimension = 0, string prefix = "item", int seed = 42)
    {
        var random = new Random(seed);
        var scoredAt = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < count; i++)
        {
            float[]? embedding = null;
            if (dimension > 0)
            {
                embedding = new float[dimension];
                for (int d = 0; d < dimension; d++)
                {
                    embedding[d] = (float)random.NextDouble();
                }
            }

            double ratio = random.NextDouble() * 2;
            yield return new ItemScoreRow
            {
                ItemId = $"{prefix}/{i:D7}.jpg",
                ContextId = contextId,
                Score = new SisomItemScore(
                    Predicted: i % 10,
                    NearestReference: i % 97,
                    DIn: random.NextDouble(),
                    DOut: random.NextDouble(),
                    Ratio: ratio,
                    Sisom: ratio * 0.9,
                    Sisome: ratio * 0.8,
                    Knn: ratio * 0.3,
                    Baselines: LogitBaselines.Compute([(float)(random.NextDouble() * 20), (float)(random.NextDouble() * 20), (float)(random.NextDouble() * 20)]),
                    OodSisom: ratio > 1.8,
                    OodSisome: ratio > 1.7,
                    OodKnn: ratio > 1.6,
                    OodEnergy: ratio > 1.5,
                    NoReference: false,
                    IsReference: false),
                NearestReference = $"ref/{i % 97}.png",
                ScoredAt = scoredAt.AddMilliseconds(i),
                Embedding = embedding,
            };
        }
    }
}
