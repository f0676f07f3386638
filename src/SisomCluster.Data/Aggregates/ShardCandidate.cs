namespace SisomCluster.Data.Aggregates;

/// <summary>
/// One of a committed shard's top selection candidates (<see cref="ShardAggregate"/>): an item past the run's OOD flag and
/// the selection's gates, with what the selection reads of it. Labels are applied when the candidates are merged.
/// </summary>
public sealed class ShardCandidate
{
    public Guid RunId { get; set; }

    public int ShardId { get; set; }

    public required string ItemId { get; set; }

    public double Sisom { get; set; }

    public double Sisome { get; set; }

    public double? Knn { get; set; }

    public double Energy { get; set; }

    public int Predicted { get; set; }

    /// <summary>The run's OOD flag (false when the filter excluded flagged items).</summary>
    public bool Flagged { get; set; }

    public double DIn { get; set; }

    public double? DOut { get; set; }
}
