namespace SisomCluster.Lab.Bench;

/// <summary>
/// One figure of <c>sisom bench copy --rescore-rows</c>: item_scores rows/s of the worker's commit path alone, re-scoring
/// shaped (scores only, shards of <paramref name="ShardSize"/> rows, <paramref name="Writers"/> shards committed at
/// once), against the previous commit path (temp table + INSERT … ON CONFLICT) in the same run.
/// </summary>
public sealed record CopyRescoreResult(int Rows, int ShardSize, int Writers, double RowsPerSecond, double LegacyRowsPerSecond)
{
    public string Id => $"copy.rescore.n{Rows}.s{ShardSize}.w{Writers}";

    public double SpeedUp => RowsPerSecond / LegacyRowsPerSecond;
}
