namespace SisomCluster.Lab.Bench;

/// <summary>One figure of `sisom bench core`: the kernel and the naive loop on the same data.</summary>
public sealed record CoreBenchmarkResult(
    int ReferenceCount,
    int Dimension,
    int Classes,
    int Queries,
    double ItemsPerSecond,
    double SearchGflops,
    int NaiveQueries,
    double NaiveItemsPerSecond,
    double NaiveGflops)
{
    public string Id => $"core.score.T{ReferenceCount}.D{Dimension}.K{Classes}";
}
