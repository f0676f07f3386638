using SisomCluster.Data.Scoring;
using OodScores = SisomCluster.Core.Scoring.OodScores;

namespace SisomCluster.Data.Monitoring;

/// <summary>
/// A run's thresholds, one per OOD score its scoring context has: what the finaliser stores, and what the API shows while
/// the run is still scoring (the thresholds are the context's, known before the first item).
/// </summary>
public static class ContextThresholds
{
    public static List<Threshold> Of(ScoringContext context, Guid runId, int referenceCount, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rows = new List<Threshold> { Row(OodScores.Sisom, context.ThresholdSisom), Row(OodScores.Sisome, context.ThresholdSisome) };
        if (context.ThresholdKnn is { } knn)
        {
            rows.Add(Row(OodScores.Knn, knn));
        }

        if (context.ThresholdEnergy is { } energy)
        {
            rows.Add(Row(OodScores.Energy, energy));
        }

        return rows;

        Threshold Row(string kind, double value) => new()
        {
            RunId = runId,
            ContextId = context.Id,
            ScoreKind = kind,
            Quantile = context.Quantile,
            N = referenceCount,
            Value = value,
            ModelVersion = context.ModelVersion,
            ReferenceVersion = context.ReferenceVersion,
            CreatedAt = at,
        };
    }
}
