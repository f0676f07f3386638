namespace SisomCluster.Data.Results;

/// <summary>One item of a run's global selection for labeling, in rank order (1 = label first).</summary>
public sealed class Selection
{
    public Guid RunId { get; set; }

    public int Rank { get; set; }

    public required string ItemId { get; set; }

    /// <summary>The score the selection ranked by (after diversity or class-balance adjustments).</summary>
    public double Score { get; set; }

    /// <summary>The item's own score before adjustments.</summary>
    public double OriginalScore { get; set; }

    public int Predicted { get; set; }

    /// <summary>Why the item was picked (e.g. <c>top_score</c>, <c>class_balance</c>).</summary>
    public required string Reason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
