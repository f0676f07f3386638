namespace SisomCluster.Core.Text;

/// <summary>One CSV record: its fields, and the line it starts on (1-based), for error messages.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields)
{
    /// <summary>A record of one empty field: an empty line.</summary>
    public bool IsBlank => Fields is [{ Length: 0 }];
}
