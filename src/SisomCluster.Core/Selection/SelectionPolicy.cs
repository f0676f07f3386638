namespace SisomCluster.Core.Selection;

/// <summary>How the active-learning selection keeps OOD items out (SISOM.md §8.3 step 1).</summary>
public enum SelectionPolicy
{
    /// <summary>
    /// The default: items flagged OOD by the run's score are left out, and so are items above SISOM's threshold at q and
    /// items above the gate score's threshold at the lower gate quantile (<see cref="SelectionGates.Guarded"/>: KNN at 0.8).
    /// </summary>
    Guarded,

    /// <summary>The behaviour before issue 16: only items flagged OOD by the run's score are left out.</summary>
    Threshold,
}
