namespace SisomCluster.Data.Rounds;

/// <summary>
/// One active-learning round (<c>rounds</c>): import labels → a run on the pool (its reference version follows from the
/// labels) → thresholds and selection (the run's finaliser) → exports. Keyed by the caller's round id, so asking for a
/// round twice (a retried CronJob) finds the first one instead of starting a second run.
/// </summary>
public sealed class Round
{
    /// <summary>The caller's id (<c>[A-Za-z0-9._-]</c>, at most 100 characters), e.g. <c>nightly-2026-12-06</c>.</summary>
    public required string Id { get; set; }

    public Guid PoolId { get; set; }

    public RoundState State { get; set; } = RoundState.Running;

    /// <summary>SHA-256 (hex) of the label file's bytes: the same id with other labels is refused.</summary>
    public required string LabelsSha256 { get; set; }

    public int Budget { get; set; }

    /// <summary>
    /// The run's model, quantile q and OOD score, and the class names the labels were read with: with the pool, the labels
    /// and the budget, everything of the request that changes the round's result, so the same id with another value is
    /// refused. Null in rounds written before these were kept (then not compared).
    /// </summary>
    public string? Model { get; set; }

    /// <inheritdoc cref="Model"/>
    public double? Quantile { get; set; }

    /// <inheritdoc cref="Model"/>
    public string? OodScore { get; set; }

    /// <summary>The request's class names joined by <c>,</c> (empty: none given); null in rounds written before this was kept.</summary>
    public string? ClassNames { get; set; }

    /// <summary>
    /// 1, then one more each time the failed round is asked for again with the same request: each attempt is a new run
    /// (<see cref="RunId"/> is the latest attempt's), the earlier attempts' runs stay as they ended.
    /// </summary>
    public int Attempt { get; set; } = 1;

    /// <summary>The round's run (written with the round, in one transaction); null after the run was deleted.</summary>
    public Guid? RunId { get; set; }

    /// <summary>Labels the round's import added (a retried request whose first import committed finds them unchanged).</summary>
    public int LabelsAdded { get; set; }

    /// <summary>Labels of the file the pool had already, with the same class.</summary>
    public int LabelsUnchanged { get; set; }

    /// <summary>Items the run selected; null until completed.</summary>
    public int? Selected { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }
}
