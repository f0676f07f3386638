namespace SisomCluster.Core.Selection;

/// <summary>
/// An OOD exclusion of the selection beside the run's own flag: a candidate whose value of <paramref name="Score"/>
/// (sisom, sisome, knn or energy, higher = more OOD) exceeds <paramref name="Threshold"/> is left out. The guarded
/// default selection sets it below the flag's threshold (a safety margin, <see cref="SelectionGates"/>), so the
/// borderline items just under the run's threshold, where OOD items crowd, are not picked.
/// </summary>
public sealed record OodGate(string Score, double Threshold)
{
    internal void Validate()
    {
        if (!Scoring.OodScores.IsKnown(Score))
        {
            throw new ArgumentException($"Unknown OOD gate score '{Score}'; use {string.Join(", ", Scoring.OodScores.All)}.", nameof(Score));
        }

        if (double.IsNaN(Threshold))
        {
            throw new ArgumentException($"The OOD gate on {Score} has a NaN threshold.", nameof(Threshold));
        }
    }
}
