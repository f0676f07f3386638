using System.Globalization;

namespace SisomCluster.Core.Text;

/// <summary>A CSV record that cannot be parsed: broken quoting or a limit exceeded. The message starts <c>line N:</c>.</summary>
public sealed class CsvFormatException : FormatException
{
    public CsvFormatException()
    {
        Reason = string.Empty;
    }

    public CsvFormatException(string message)
        : base(message)
    {
        Reason = message;
    }

    public CsvFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
    }

    public CsvFormatException(int line, string reason)
        : base(string.Create(CultureInfo.InvariantCulture, $"line {line}: {reason}"))
    {
        Line = line;
        Reason = reason;
    }

    /// <summary>The line the record starts on (1-based); 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>What is wrong, without the line.</summary>
    public string Reason { get; }
}
