namespace SisomCluster.Data.Monitoring;

/// <summary>
/// An OOD threshold: the q-quantile of a score over n in-distribution items, with the versions it was computed under, so
/// a dashboard can show how a threshold moved across models and reference sets.
/// </summary>
public sealed class Threshold
{
    public long Id { get; set; }

    /// <summary>The run whose scores it came from, or null for a threshold computed with the context.</summary>
    public Guid? RunId { get; set; }

    public Guid ContextId { get; set; }

    /// <summary>Which score: <c>sisom</c>, <c>sisome</c>, <c>msp</c>, <c>energy</c>, ...</summary>
    public required string ScoreKind { get; set; }

    public double Quantile { get; set; }

    public int N { get; set; }

    public double Value { get; set; }

    public required string ModelVersion { get; set; }

    public required string ReferenceVersion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
