namespace SisomCluster.Cli;

/// <summary>
/// Rows for a person or for a script: on a terminal, aligned columns under a header and a rule; otherwise plain
/// tab-separated lines with a header line, which <c>cut</c>, <c>awk</c> and spreadsheets read as they are.
/// </summary>
internal sealed class TextTable
{
    private readonly TableColumn[] _columns;
    private readonly List<string[]> _rows = [];

    public TextTable(params TableColumn[] columns)
    {
        ArgumentOutOfRangeException.ThrowIfZero(columns.Length);
        _columns = columns;
    }

    public int RowCount => _rows.Count;

    public void AddRow(params string[] cells)
    {
        if (cells.Length != _columns.Length)
        {
            throw new ArgumentException($"A row of {_columns.Length} columns got {cells.Length} cells.", nameof(cells));
        }

        _rows.Add(cells);
    }

    public void Write(TextWriter writer, bool aligned)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!aligned)
        {
            writer.WriteLine(string.Join('\t', _columns.Select(c => c.Header)));
            foreach (string[] row in _rows)
            {
                // A tab or newline inside a cell would shift every column after it.
                writer.WriteLine(string.Join('\t', row.Select(c => c.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '))));
            }

            return;
        }

        int[] widths = new int[_columns.Length];
        for (int c = 0; c < _columns.Length; c++)
        {
            widths[c] = Math.Max(_columns[c].Header.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[c].Length));
        }

        writer.WriteLine(Line(_columns.Select(c => c.Header).ToArray(), widths));
        writer.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (string[] row in _rows)
        {
            writer.WriteLine(Line(row, widths));
        }
    }

    private string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, c) => _columns[c].AlignRight ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();
}
