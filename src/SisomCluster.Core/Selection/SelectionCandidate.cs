namespace SisomCluster.Core.Selection;

/// <summary>
/// A scored, unlabeled item offered to the active-learning selection (SISOM.md §8.3). Diversity needs
/// the state vector, d_in, d_out and energy as stored with the score; plain top-B needs only the score.
/// </summary>
public sealed record SelectionCandidate(string Id, double Score, int Predicted, bool IsOod)
{
    /// <summary>z(x); required when diversity is on.</summary>
    public float[]? State { get; init; }

    /// <summary>d_in to the nearest reference of the predicted class (+∞ when none).</summary>
    public double DIn { get; init; } = double.PositiveInfinity;

    /// <summary>d_out = the margin of that reference (NaN when none).</summary>
    public double DOut { get; init; } = double.NaN;

    /// <summary>The item's OOD scores by name (sisom, sisome, knn, energy), for <see cref="SelectionOptions.Gates"/>.</summary>
    public IReadOnlyDictionary<string, double>? OodValues { get; init; }

    /// <summary>E(x), for re-scoring SISOMe.</summary>
    public double Energy { get; init; }
}
