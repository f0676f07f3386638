using System.Globalization;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>A scores CSV read back the way a user's script would: header, then one string field per column.</summary>
public sealed class ScoreCsvFile
{
    private readonly Dictionary<string, int> _columns;

    private ScoreCsvFile(string header, IReadOnlyList<string[]> rows)
    {
        Header = header;
        Rows = rows;
        _columns = header.Split(',').Select((name, index) => (name, index)).ToDictionary(c => c.name, c => c.index);
    }

    public string Header { get; }

    public IReadOnlyList<string[]> Rows { get; }

    public static ScoreCsvFile Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        Assert.NotEmpty(lines);
        string[][] rows = lines.Skip(1).Select(l => l.Split(',')).ToArray();
        foreach (string[] row in rows)
        {
            Assert.Equal(lines[0].Split(',').Length, row.Length);
        }

        return new ScoreCsvFile(lines[0], rows);
    }

    public string Field(int row, string column) => Rows[row][_columns[column]];

    public int Int(int row, string column) => int.Parse(Field(row, column), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>"inf" → +∞, "" → NaN, else the round-trip number.</summary>
    public double Double(int row, string column)
    {
        string field = Field(row, column);
        return field switch
        {
            "" => double.NaN,
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => double.Parse(field, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    public bool Bool(int row, string column) =>
        Field(row, column) switch
        {
            "true" => true,
            "false" => false,
            string other => throw new FormatException($"'{other}' is not a flag"),
        };
}
