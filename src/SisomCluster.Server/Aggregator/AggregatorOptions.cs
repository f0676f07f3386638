using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Aggregator;

/// <summary>Aggregator settings (<c>Aggregator__ExcludeOod</c>, …); the candidates factor is the run's (<c>Run.CandidateFactor</c>).</summary>
public sealed class AggregatorOptions
{
    public const string SectionName = "Aggregator";

    /// <summary>Leave items flagged OOD out of the selection (SISOM.md §8.3 step 1).</summary>
    public bool ExcludeOod { get; set; } = true;

    /// <summary>
    /// How OOD items are kept out (with <see cref="ExcludeOod"/>): <c>Guarded</c> (default) also leaves out items above SISOM's
    /// threshold at q and above the KNN gate at the 0.8 quantile of the reference items' leave-one-out KNN scores (Core's
    /// <c>SelectionGates.Guarded</c>), so the
    /// selection does not fill up with the borderline items just under the run's threshold; <c>Threshold</c> = the run's
    /// flag only (the behaviour before issue 16).
    /// </summary>
    public Core.Selection.SelectionPolicy Selection { get; set; } = Core.Selection.SelectionPolicy.Guarded;

    /// <summary>
    /// SISOM-native diversity (SISOM.md §8.3 step 4) over the top factor·B candidates; 0 = off. Needs runs that store
    /// embeddings (z is recomputed from h for the candidates); otherwise the plain top-B is used and a warning logged.
    /// </summary>
    [Range(0, 100)]
    public double DiversityFactor { get; set; }

    /// <summary>Class-balanced selection: at most ⌈B/K⌉ items per predicted class (SISOM.md §8.3 step 3).</summary>
    public bool BalancedQuotas { get; set; }

    /// <summary>k of the KNN score of new scoring contexts (SISOM.md §7.1); a context is reused only with the same k.</summary>
    [Range(1, 100_000)]
    public int KnnK { get; set; } = Core.Baselines.KnnScorer.DefaultK;

    /// <summary>
    /// Diagnostic: finalise by scanning every <c>item_scores</c> row of the run (selection and drift) even when the shards'
    /// partial aggregates cover it (README, "Per-shard aggregates"). Off: merge the aggregates, O(shards).
    /// </summary>
    public bool FullScan { get; set; }

    /// <summary>How often running runs are checked for completion without waiting for a shard event.</summary>
    [Range(1, 3600)]
    public int SweepSeconds { get; set; } = 15;
}
