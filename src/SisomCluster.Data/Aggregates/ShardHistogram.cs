namespace SisomCluster.Data.Aggregates;

/// <summary>
/// A committed shard's histogram of one score over fixed bins (<see cref="ScoreBins"/>): bin i holds the finite values v
/// with ⌊v / <see cref="Width"/>⌋ = i, so the bins of every shard of a run line up and merge by adding counts. Sparse:
/// only the bins that hold items, in <see cref="Bins"/> with their <see cref="Counts"/>. Reference items are left out.
/// </summary>
public sealed class ShardHistogram
{
    public Guid RunId { get; set; }

    public int ShardId { get; set; }

    public required string ScoreKind { get; set; }

    public double Width { get; set; }

    public required long[] Bins { get; set; }

    public required long[] Counts { get; set; }
}
