namespace SisomCluster.Lab.Bench;

/// <summary>One figure of `sisom bench core`: the kernel, the naive loop on the same data, and a measured SGEMM of the same shape.</summary>
public sealed record CoreBenchmarkResult(
    int ReferenceCount,
    int Dimension,
    int Classes,
    int Queries,
    double ItemsPerSecond,
    double SearchGflops,
    int NaiveQueries,
    double NaiveItemsPerSecond,
    double NaiveGflops,
    string Kernel,
    CoreSgemm Sgemm)
{
    /// <summary>The kernel's GFLOP/s as a fraction of the measured SGEMM of the same shape on the same machine.</summary>
    public double FractionOfSgemm => SearchGflops / Sgemm.Gflops;

    public string Id => $"core.score.T{ReferenceCount}.D{Dimension}.K{Classes}";
}
