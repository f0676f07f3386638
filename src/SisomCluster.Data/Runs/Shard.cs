namespace SisomCluster.Data.Runs;

/// <summary>
/// The unit of work of a run (one <c>ScoreShard</c> message). Its row is the source of truth for progress and for the
/// exactly-once commit: results land in the same transaction that flips it to <see cref="ShardState.Done"/>.
/// </summary>
public sealed class Shard
{
    public Guid RunId { get; set; }

    public int ShardId { get; set; }

    public ShardState State { get; set; } = ShardState.Pending;

    /// <summary>1 for the first publication; incremented on every re-issue, so late work of an old attempt is refused.</summary>
    public int Attempt { get; set; } = 1;

    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>What items the shard holds (a tar path, a manifest range) as JSON: the coordinator's and worker's business, opaque here.</summary>
    public string Descriptor { get; set; } = "{}";

    public int ItemCount { get; set; }

    public int Scored { get; set; }

    public int Failed { get; set; }

    /// <summary>Of <see cref="Scored"/>, the items scored from another run's stored embedding (no read, decode or model).</summary>
    public int Reused { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public string? LastError { get; set; }
}
