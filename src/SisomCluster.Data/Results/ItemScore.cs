using Pgvector;

namespace SisomCluster.Data.Results;

/// <summary>
/// The SISOM result of one item in one run (<c>item_scores</c>). Written only by <see cref="ShardResultWriter"/>; mapped
/// here for the readers (selection, API, drift). Names follow SISOM.md.
/// </summary>
public sealed class ItemScore
{
    public Guid RunId { get; set; }

    public required string ItemId { get; set; }

    /// <summary>The scoring context the score was computed against: scores of different contexts are never compared.</summary>
    public Guid ContextId { get; set; }

    public int ShardId { get; set; }

    public int Predicted { get; set; }

    public string? NearestReference { get; set; }

    /// <summary>Distance to the nearest reference of the predicted class; +∞ when that class has no reference.</summary>
    public double DIn { get; set; }

    public double? DOut { get; set; }

    public double Ratio { get; set; }

    public double Energy { get; set; }

    public double Sisom { get; set; }

    public double Sisome { get; set; }

    /// <summary>The KNN score (SISOM.md §7.1); null when the run's context has no KNN bank (stored before KNN was).</summary>
    public double? Knn { get; set; }

    public double Msp { get; set; }

    public double MaxLogit { get; set; }

    public double Entropy { get; set; }

    public double Margin { get; set; }

    public bool OodSisom { get; set; }

    public bool OodSisome { get; set; }

    public bool OodKnn { get; set; }

    public bool OodEnergy { get; set; }

    public bool NoReference { get; set; }

    /// <summary>The item is a labeled reference item of the context, scored with itself left out (SISOM.md §5); drift and histograms leave it out.</summary>
    public bool IsReference { get; set; }

    public DateTimeOffset ScoredAt { get; set; }

    public Vector? Embedding { get; set; }
}
