namespace SisomCluster.Core.Evaluation;

/// <summary>The OOD scores compared by <see cref="OodBenchmark"/> (SISOM.md §7), each oriented higher = more OOD.</summary>
public enum OodMethod
{
    Sisom,
    Sisome,
    Msp,
    MaxLogit,
    Energy,
    Knn,
}
