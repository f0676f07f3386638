using System.Text;

namespace SisomCluster.Data.Labels;

/// <summary>
/// Splits one CSV line (RFC 4180 quoting: <c>"a,b"</c>, <c>""</c> for a quote). Ids are file paths and may hold commas;
/// a field spanning lines is not supported and reported as malformed.
/// </summary>
internal static class CsvFields
{
    public static bool TrySplit(string line, List<string> fields, out string? error)
    {
        fields.Clear();
        error = null;
        var field = new StringBuilder();
        int i = 0;
        while (true)
        {
            field.Clear();
            while (i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                i++;
                bool closed = false;
                while (i < line.Length)
                {
                    if (line[i] == '"')
                    {
                        if (i + 1 < line.Length && line[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        closed = true;
                        i++;
                        break;
                    }

                    field.Append(line[i++]);
                }

                if (!closed)
                {
                    error = "unterminated quoted field";
                    return false;
                }

                while (i < line.Length && line[i] == ' ')
                {
                    i++;
                }

                if (i < line.Length && line[i] != ',')
                {
                    error = "text after a closing quote";
                    return false;
                }

                fields.Add(field.ToString());
            }
            else
            {
                int comma = line.IndexOf(',', i);
                int end = comma < 0 ? line.Length : comma;
                fields.Add(line[i..end].Trim());
                i = end;
            }

            if (i >= line.Length)
            {
                return true;
            }

            i++; // the comma
        }
    }
}
