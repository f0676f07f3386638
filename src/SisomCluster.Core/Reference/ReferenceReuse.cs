namespace SisomCluster.Core.Reference;

/// <summary>
/// The previous reference-set version, for <see cref="Scoring.ScoringContext.Build"/> to update rather than recompute:
/// its <see cref="ReferenceState"/> at each α it evaluated, and for each item of the new set its index in the previous
/// one (−1 for an added or relabelled item; see <see cref="ReferenceState.Update"/>). Valid only when the states of the
/// kept items are unchanged: same features, same head, same layers, same precision.
/// </summary>
public sealed record ReferenceReuse(IReadOnlyDictionary<double, ReferenceState> StatesByAlpha, int[] PreviousIndex)
{
    /// <summary>How many items of the new set are kept from the previous one.</summary>
    public int Kept => PreviousIndex.Count(p => p >= 0);
}
