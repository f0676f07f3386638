using Pgvector;

namespace SisomCluster.Data.Scoring;

/// <summary>A labeled item of a context's reference set: its state vector and its margin (SISOM.md).</summary>
public sealed class ReferenceItem
{
    public Guid ContextId { get; set; }

    public required string ItemId { get; set; }

    public int Label { get; set; }

    public required Vector State { get; set; }

    public double Margin { get; set; }

    /// <summary>The item's features h, the KNN score's bank (SISOM.md §7.1); null in contexts stored before KNN was.</summary>
    public Vector? Feature { get; set; }
}
