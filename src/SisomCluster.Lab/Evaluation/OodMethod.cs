namespace SisomCluster.Lab.Evaluation;

/// <summary>The OOD scores compared by <see cref="OodBenchmark"/> (SISOM.md §7), each oriented higher = more OOD.</summary>
public enum OodMethod
{
    Sisom,
    Sisome,
    Msp,
    MaxLogit,
    Energy,
    Knn,

    /// <summary>SISOM on z = concat(s_pen, s_1, …): the augmented model's layer states joined to the penultimate ones (SISOM.md §3.2).</summary>
    SisomMultiLayer,

    /// <summary>SISOMe on the multi-layer z.</summary>
    SisomeMultiLayer,

    /// <summary>
    /// Beyond the paper (issue 16): z-scored SISOMe plus z-scored KNN, each standardised by the mean and sample std of the
    /// reference items' leave-one-out scores, equal weights fixed beforehand (no OOD data, no tuning).
    /// </summary>
    SisomeKnn,
}
