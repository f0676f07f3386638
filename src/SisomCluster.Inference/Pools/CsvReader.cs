using System.Text;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// RFC 4180 records: comma-separated fields, double-quoted fields may hold commas, line breaks and
/// doubled quotes; CRLF or LF line ends. Each record carries the line it starts on, for error messages.
/// </summary>
internal sealed class CsvReader
{
    private readonly TextReader _reader;
    private int _line = 1;

    public CsvReader(TextReader reader)
    {
        _reader = reader;
    }

    /// <summary>The next record and its first line, or null at the end. A broken quote throws <see cref="FormatException"/>.</summary>
    public (int Line, List<string> Fields)? ReadRecord()
    {
        if (_reader.Peek() < 0)
        {
            return null;
        }

        int startLine = _line;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        bool afterQuote = false;
        while (true)
        {
            int c = _reader.Read();
            if (quoted)
            {
                if (c < 0)
                {
                    throw new FormatException($"line {startLine}: a quoted field is not closed before the end of the file");
                }

                if (c == '"')
                {
                    if (_reader.Peek() == '"')
                    {
                        _reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                        afterQuote = true;
                    }
                }
                else
                {
                    _line += c == '\n' ? 1 : 0;
                    field.Append((char)c);
                }

                continue;
            }

            if (c is < 0 or '\n' or '\r' or ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                afterQuote = false;
                if (c == ',')
                {
                    continue;
                }

                if (c == '\r' && _reader.Peek() == '\n')
                {
                    _reader.Read();
                }

                _line += c < 0 ? 0 : 1;
                return (startLine, fields);
            }

            if (afterQuote)
            {
                throw new FormatException($"line {_line}: unexpected '{(char)c}' after a closing quote (a quote inside a field is written \"\")");
            }

            if (c == '"' && field.Length == 0)
            {
                quoted = true;
            }
            else
            {
                // A quote inside an unquoted field is taken literally, as most writers intend it.
                field.Append((char)c);
            }
        }
    }
}
