namespace SisomCluster.Lab.Bench;

/// <summary>
/// One fault × repetition of <c>sisom bench chaos</c>, read back from SQL once its run ended (or timed out).
/// <see cref="Lost"/> = pool items − (item_scores + item_errors + items of failed shards without error rows);
/// <see cref="Duplicates"/> = result rows − distinct item ids over item_scores ∪ item_errors; <see cref="Stuck"/> =
/// runs of the benchmark still pending or running when the case ended. Times are seconds from the end of the fault
/// (the service back, the process restarted, the purge or kill done) to the first shard finished after it
/// (<see cref="ResumeSeconds"/>) and to the run completed (<see cref="RecoverySeconds"/>).
/// </summary>
public sealed record ChaosCaseResult
{
    public required string Fault { get; init; }

    public required int Repetition { get; init; }

    public required Guid RunId { get; init; }

    /// <summary>Whether the fault landed mid-run (shards done and shards still to do); false: the run ended first.</summary>
    public required bool Injected { get; init; }

    /// <summary>What was done: messages purged, copies sent, pids killed, seconds down.</summary>
    public required string Detail { get; init; }

    public required string State { get; init; }

    public required long PoolItems { get; init; }

    public required long Scored { get; init; }

    /// <summary>item_errors rows plus the items of failed shards that have none (an embeddings shard lists no ids).</summary>
    public required long Failed { get; init; }

    public required long Lost { get; init; }

    public required long Duplicates { get; init; }

    public required long Stuck { get; init; }

    public required int FailedShards { get; init; }

    /// <summary>Shards whose attempt went past 1 (re-issued after a lease ended without a commit).</summary>
    public required int ReissuedShards { get; init; }

    /// <summary>Messages left in the score-shard queue's <c>_error</c> queue after the run.</summary>
    public required long ErrorQueueMessages { get; init; }

    public required double FaultSeconds { get; init; }

    public double? ResumeSeconds { get; init; }

    public double? RecoverySeconds { get; init; }

    public required double TotalSeconds { get; init; }

    /// <summary>What the fault must leave: the run completed, nothing lost or duplicated, nothing stuck.</summary>
    public bool Passed => Injected && State == "completed" && Lost == 0 && Duplicates == 0 && Stuck == 0 && ExpectedFailures;

    /// <summary>Only the poison shard may fail (exactly it); every other fault must fail none.</summary>
    public bool ExpectedFailures => Fault == ChaosFaultNames.Name(ChaosFault.PoisonShard) ? FailedShards == 1 : FailedShards == 0;
}
