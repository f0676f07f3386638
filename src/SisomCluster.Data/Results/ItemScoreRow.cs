namespace SisomCluster.Data.Results;

/// <summary>One scored item as the worker hands it to <see cref="ShardResultWriter"/>; run and shard come from the commit call.</summary>
public sealed record ItemScoreRow
{
    public required string ItemId { get; init; }

    public required Guid ContextId { get; init; }

    public required int Predicted { get; init; }

    public string? NearestReference { get; init; }

    /// <summary>May be <see cref="double.PositiveInfinity"/> (no reference of the predicted class).</summary>
    public required double DIn { get; init; }

    public double? DOut { get; init; }

    public required double Ratio { get; init; }

    public required double Energy { get; init; }

    public required double Sisom { get; init; }

    public required double Sisome { get; init; }

    public required double Msp { get; init; }

    public required double MaxLogit { get; init; }

    public required double Entropy { get; init; }

    public required double Margin { get; init; }

    public required bool OodSisom { get; init; }

    public required bool OodSisome { get; init; }

    public required bool NoReference { get; init; }

    public required DateTimeOffset ScoredAt { get; init; }

    /// <summary>The feature vector h, when the run stores embeddings (for re-scoring without the backbone, ARCHITECTURE.md §4).</summary>
    public float[]? Embedding { get; init; }
}
