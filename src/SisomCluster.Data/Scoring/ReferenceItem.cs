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
}
