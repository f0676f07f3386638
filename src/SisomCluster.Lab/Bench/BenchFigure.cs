namespace SisomCluster.Lab.Bench;

/// <summary>
/// One figure of <c>sisom bench suite</c>, in one shape for every benchmark: a stable id, the measured value and unit,
/// and the baseline measured in the same run (its name and value; <see cref="Ratio"/> = value / baseline).
/// </summary>
public sealed record BenchFigure(string Id, double Value, string Unit, string Baseline, double? BaselineValue, string? Note = null)
{
    public double? Ratio => BaselineValue is > 0 ? Value / BaselineValue : null;
}
