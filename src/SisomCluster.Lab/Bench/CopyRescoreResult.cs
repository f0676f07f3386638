namespace SisomCluster.Lab.Bench;

/// <summary>
/// One figure of <c>sisom bench copy --rescore-rows</c>: item_scores rows/s of the worker's commit path alone, re-scoring
/// shaped (scores only, shards of <paramref name="ShardSize"/> rows, <paramref name="Writers"/> shards committed at
/// once), against the previous commit path (temp table + INSERT … ON CONFLICT) in the same run; with <c>--aggregates</c>,
/// also the same commit writing the shard's aggregates, per drift lookup.
/// </summary>
public sealed record CopyRescoreResult(int Rows, int ShardSize, int Writers, double RowsPerSecond, double LegacyRowsPerSecond)
{
    /// <summary>The selection budget of the aggregate figures (candidates kept per shard: budget × 4); 0 without them.</summary>
    public int Budget { get; init; }

    /// <summary>Rows/s of the commit with aggregates, by drift lookup (<c>Rows</c>: grouped from the rows; <c>Registry</c>: counted against <c>items</c>, the previous commit); null without them.</summary>
    public IReadOnlyDictionary<string, double>? WithAggregatesRowsPerSecond { get; init; }

    public string Id => $"copy.rescore.n{Rows}.s{ShardSize}.w{Writers}";

    public double SpeedUp => RowsPerSecond / LegacyRowsPerSecond;
}
