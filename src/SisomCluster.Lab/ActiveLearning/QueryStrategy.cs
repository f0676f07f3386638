namespace SisomCluster.Lab.ActiveLearning;

/// <summary>How an active-learning round picks the items to label next.</summary>
public enum QueryStrategy
{
    /// <summary>Uniformly at random (seeded).</summary>
    Random,

    /// <summary>Highest entropy of the head's softmax.</summary>
    Entropy,

    /// <summary>Smallest gap between the two largest softmax probabilities.</summary>
    Margin,

    /// <summary>k-center greedy on the penultimate features (Sener and Savarese 2018).</summary>
    CoreSet,

    /// <summary>Top SISOM scores (SISOM.md §8.3, plain top-B, no OOD exclusion).</summary>
    Sisom,

    /// <summary>Top SISOMe scores (self-balancing weight).</summary>
    Sisome,

    /// <summary>SISOM with SISOM-native diversity (SISOM.md §8.3 step 4).</summary>
    SisomDiversity,

    /// <summary>
    /// The product's selection before issue 16 (<see cref="Core.Selection.SelectionPolicy.Threshold"/>): top SISOM among the
    /// items not flagged OOD by the run's OOD score at q (<see cref="ActiveLearningOptions.OodScore"/>).
    /// </summary>
    SisomProduction,

    /// <summary>
    /// The product's default selection (<see cref="Core.Selection.SelectionPolicy.Guarded"/>): as <see cref="SisomProduction"/>,
    /// and items above the gate score's threshold at the gate quantile are left out too.
    /// </summary>
    SisomGuarded,

    /// <summary><see cref="SisomGuarded"/> with class-balanced quotas (⌈B/K⌉ per predicted class).</summary>
    SisomGuardedBalanced,
}
