namespace SisomCluster.Lab.ActiveLearning;

/// <summary>
/// One simulated active-learning run. Entry i describes the model after round i (entry 0: the initial
/// labels only): labels spent so far (OOD queries included), test accuracy of the refitted head, and how
/// many of the queried items were OOD.
/// </summary>
public sealed record ActiveLearningRun(
    QueryStrategy Strategy,
    int Seed,
    int[] LabelsSpent,
    double[] Accuracy,
    int[] OodSelected,
    double SelectionSeconds)
{
    /// <summary>The normalised area under the learning curve (<see cref="LearningCurve.NormalizedArea"/>).</summary>
    public double Area => LearningCurve.NormalizedArea(LabelsSpent, Accuracy);
}
