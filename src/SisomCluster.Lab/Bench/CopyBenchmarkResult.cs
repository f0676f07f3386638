namespace SisomCluster.Lab.Bench;

/// <summary>One figure of <c>sisom bench copy</c>: result rows/s committed by COPY against EF Core SaveChanges.</summary>
public sealed record CopyBenchmarkResult(int Rows, int Dimension, double CopyRowsPerSecond, double EfRowsPerSecond)
{
    public string Id => $"copy.item_scores.n{Rows}.d{Dimension}";

    public double SpeedUp => CopyRowsPerSecond / EfRowsPerSecond;
}
