namespace SisomCluster.Data.Results;

/// <summary>
/// How long a shard commit may idle (ARCHITECTURE.md §3). A worker that froze (a stopped process, a partitioned host)
/// keeps its commit transaction, and with it the shard's commit lock, open until PostgreSQL ends the session; the attempt
/// the coordinator re-issued waits for that lock (its own heartbeat keeps its lease meanwhile). So the commit transaction
/// may sit idle for at most <see cref="IdleLimit"/>: PostgreSQL then ends the frozen session, the lock is released and the
/// waiting attempt goes on. A live commit keeps itself from idling that long (<see cref="CommitKeepAlive"/>: a <c>SELECT 1</c> every
/// third of the limit when no chunk was COPYed meanwhile), so a slow but live worker is not mistaken for a frozen one.
/// </summary>
/// <param name="IdleLimit">Longest idle time of the commit transaction between two chunks; null means no limit.</param>
public sealed record ShardCommitLimits(TimeSpan? IdleLimit)
{
    /// <summary>The limit for the default 60 s lease.</summary>
    public static ShardCommitLimits Default { get; } = ForLease(TimeSpan.FromSeconds(60));

    /// <summary>Five leases: a frozen worker's shard moves on within minutes.</summary>
    public static ShardCommitLimits ForLease(TimeSpan lease) => new(lease * 5);

    internal string IdleLimitMilliseconds =>
        IdleLimit is { } value ? Math.Max(1, (long)Math.Ceiling(value.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
}
