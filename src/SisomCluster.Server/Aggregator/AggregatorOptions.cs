using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Aggregator;

/// <summary>Aggregator settings (<c>Aggregator__CandidateFactor</c>, …).</summary>
public sealed class AggregatorOptions
{
    public const string SectionName = "Aggregator";

    /// <summary>The selection reads the top factor·B candidates from the stored scores (SISOM.md §8.3).</summary>
    [Range(1, 100)]
    public int CandidateFactor { get; set; } = 4;

    /// <summary>Leave items flagged OOD out of the selection (SISOM.md §8.3 step 1).</summary>
    public bool ExcludeOod { get; set; } = true;

    /// <summary>How often running runs are checked for completion without waiting for a shard event.</summary>
    [Range(1, 3600)]
    public int SweepSeconds { get; set; } = 15;
}
