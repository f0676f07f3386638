using SisomCluster.Core.Selection;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Scoring;

/// <summary>
/// What a worker's shard commit aggregates for a run (<see cref="ShardAggregateSpec"/>), decided from the run and its
/// scoring context before anything is scored: candidates past the product's default selection filter (the run's OOD flag
/// and the guarded gates, <see cref="SelectionPolicy.Guarded"/>), budget × factor of them, and histogram bins whose width
/// follows each score's threshold. The finaliser merges the candidates only when its own filter is this one
/// (<see cref="ShardAggregateSpec.Filter"/>); an aggregator configured otherwise scans instead.
/// </summary>
public static class ShardAggregation
{
    /// <summary>The default candidates per selected item (<c>Worker__CandidateFactor</c>), as the aggregator's <c>CandidateFactor</c>.</summary>
    public const int DefaultCandidateFactor = 4;

    public static ShardAggregateSpec Spec(Run run, LoadedContext context, int candidateFactor)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(context);
        Core.Scoring.ScoringContext scoring = context.Scoring;

        // A context whose gates cannot be computed (Core refuses: no reference features for the gate's score) still gets
        // its drift and histograms; its candidates are kept under the flag alone, which the guarded finaliser will not
        // merge (another filter text): it scans, as before the aggregates. Scoring must not fail over the aggregates.
        IReadOnlyList<OodGate> gates;
        try
        {
            gates = context.GuardedGates;
        }
        catch (ArgumentException)
        {
            gates = [];
        }

        return new ShardAggregateSpec
        {
            PoolId = run.PoolId,
            OodScore = run.OodScore,
            ExcludeOod = true,
            Gates = gates,
            CandidateLimit = checked(Math.Max(1, run.Budget) * candidateFactor),
            BinWidths = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["sisom"] = ScoreBins.Width(scoring.ThresholdSisom),
                ["sisome"] = ScoreBins.Width(scoring.ThresholdSisome),
                ["knn"] = ScoreBins.Width(scoring.ThresholdKnn),
                ["energy"] = ScoreBins.Width(scoring.ThresholdEnergy),
            },
        };
    }
}
