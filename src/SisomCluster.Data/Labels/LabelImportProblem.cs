namespace SisomCluster.Data.Labels;

/// <param name="Line">1-based line number in the file, the header counted.</param>
public sealed record LabelImportProblem(int Line, LabelProblemKind Kind, string Message)
{
    public override string ToString() => $"line {Line}: {Message}";
}
