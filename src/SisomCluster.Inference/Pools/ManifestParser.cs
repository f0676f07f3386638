using System.Text.Json;
using SisomCluster.Core.Text;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// Parses a manifest (CSV with a header row, or JSONL) into items with their line numbers. Every
/// malformed line is collected and the file is rejected once, listing the first
/// <see cref="MaxReportedErrors"/>: fixing a manifest one error per run would take as many runs.
/// Input is bounded like <see cref="CsvReader"/>'s: a JSONL line over <see cref="MaxLineLength"/> characters is an
/// error of its own line (read past without being held), and a JSON object nesting deeper than
/// <see cref="MaxJsonDepth"/> is invalid JSON.
/// </summary>
internal static class ManifestParser
{
    public const int MaxReportedErrors = 20;

    /// <summary>Longest JSONL line, in characters: the CSV reader's field limit (ids and paths are far shorter).</summary>
    public const int MaxLineLength = CsvReader.DefaultMaxFieldLength;

    /// <summary>Deepest JSON nesting in a manifest line (items are flat objects).</summary>
    public const int MaxJsonDepth = 16;

    private static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = MaxJsonDepth };

    private static readonly string[] Columns = ["id", "uri", "source", "captured_at"];

    private delegate void AddItem(int line, string? id, string? uri, string? source, string? capturedAt, DateTimeOffset? parsedAt = null);

    public static List<(int Line, PoolItemInfo Item)> Parse(string path, CancellationToken cancellationToken = default)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var items = new List<(int, PoolItemInfo)>();
        var errors = new List<string>();
        void Add(int line, string? id, string? uri, string? source, string? capturedAt, DateTimeOffset? parsedAt = null)
        {
            if (ToItem(line, id, uri, source, capturedAt, parsedAt, folder, errors) is { } item)
            {
                items.Add((line, item));
            }
        }

        using var reader = new StreamReader(path);
        if (IsJsonLines(path, reader))
        {
            ParseJsonLines(reader, errors, Add, cancellationToken);
        }
        else
        {
            ParseCsv(path, reader, errors, Add, cancellationToken);
        }

        if (errors.Count > 0)
        {
            string first = errors.Count > MaxReportedErrors ? $", the first {MaxReportedErrors}" : string.Empty;
            throw new InvalidDataException(
                $"{path}: {errors.Count} malformed line(s){first}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors.Take(MaxReportedErrors))}");
        }

        return items;
    }

    /// <summary>By extension; otherwise a first character of '{' means JSONL (CSV cannot start with one usefully).</summary>
    private static bool IsJsonLines(string path, StreamReader reader)
    {
        string extension = Path.GetExtension(path);
        if (extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase) || extension.Equals(".ndjson", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return !extension.Equals(".csv", StringComparison.OrdinalIgnoreCase) && reader.Peek() == '{';
    }

    private static void ParseCsv(string path, StreamReader reader, List<string> errors, AddItem add, CancellationToken cancellationToken)
    {
        var csv = new CsvReader(reader);
        try
        {
            if (csv.ReadRecord() is not { } header)
            {
                throw new InvalidDataException($"{path}: empty manifest; the first line must be a header naming the columns (id,uri[,source,captured_at]).");
            }

            int[] index = Columns.Select(c => header.Fields.ToList().FindIndex(f => f.Trim().Equals(c, StringComparison.OrdinalIgnoreCase))).ToArray();
            if (index[0] < 0 || index[1] < 0)
            {
                throw new InvalidDataException(
                    $"{path}: the header row ({string.Join(",", header.Fields)}) must name the columns id and uri (optional: source, captured_at).");
            }

            while (csv.ReadRecord() is { } record)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (record.IsBlank)
                {
                    continue;
                }

                if (record.Fields.Count != header.Fields.Count)
                {
                    errors.Add($"line {record.Line}: {record.Fields.Count} fields, the header has {header.Fields.Count}");
                    continue;
                }

                string? Field(int i) => i < 0 ? null : record.Fields[i];
                add(record.Line, Field(index[0]), Field(index[1]), Field(index[2]), Field(index[3]));
            }
        }
        catch (FormatException e)
        {
            // A broken quote leaves no way to find where the next record starts: stop here.
            errors.Add(e.Message);
        }
    }

    private static void ParseJsonLines(StreamReader reader, List<string> errors, AddItem add, CancellationToken cancellationToken)
    {
        int line = 0;
        var buffer = new System.Text.StringBuilder();
        while (ReadLine(reader, buffer, out bool tooLong) is { } text)
        {
            cancellationToken.ThrowIfCancellationRequested();
            line++;
            if (tooLong)
            {
                errors.Add($"line {line}: longer than {MaxLineLength} characters");
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(text, JsonOptions);
                JsonElement root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"line {line}: expected a JSON object, found {root.ValueKind}");
                    continue;
                }

                string? Text(string name) => root.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                } : null;

                // Unix seconds are taken only from JSON numbers; text must be ISO-8601.
                DateTimeOffset? numericAt = root.TryGetProperty("captured_at", out JsonElement at) && at.ValueKind == JsonValueKind.Number
                    && PoolTimestamps.TryParseJson(at, out DateTimeOffset seconds) ? seconds : null;
                add(line, Text("id"), Text("uri"), Text("source"), numericAt is null ? Text("captured_at") : null, numericAt);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // InvalidOperationException: a string value that is not valid UTF-8.
                errors.Add($"line {line}: invalid JSON ({e.Message})");
            }
        }
    }

    /// <summary>
    /// The next line (ended by LF, CRLF or CR, as <see cref="TextReader.ReadLine"/>), or null at the end. A line over
    /// <see cref="MaxLineLength"/> is read to its end but only its first <see cref="MaxLineLength"/> characters are kept.
    /// </summary>
    private static string? ReadLine(StreamReader reader, System.Text.StringBuilder buffer, out bool tooLong)
    {
        buffer.Clear();
        tooLong = false;
        int c = reader.Read();
        if (c < 0)
        {
            return null;
        }

        while (c >= 0 && c != '\n' && c != '\r')
        {
            if (buffer.Length < MaxLineLength)
            {
                buffer.Append((char)c);
            }
            else
            {
                tooLong = true;
            }

            c = reader.Read();
        }

        if (c == '\r' && reader.Peek() == '\n')
        {
            reader.Read();
        }

        return buffer.ToString();
    }

    private static PoolItemInfo? ToItem(
        int line, string? id, string? uri, string? source, string? capturedAt, DateTimeOffset? parsedAt, string folder, List<string> errors)
    {
        id = id?.Trim();
        uri = uri?.Trim();
        source = string.IsNullOrWhiteSpace(source) ? null : source.Trim();
        int before = errors.Count;
        if (string.IsNullOrEmpty(id))
        {
            errors.Add($"line {line}: missing id");
        }

        string? path = null;
        if (string.IsNullOrEmpty(uri))
        {
            errors.Add($"line {line}: missing uri");
        }
        else if (!TryResolve(uri, folder, out path, out string? problem))
        {
            errors.Add($"line {line}: {problem}");
        }

        if (parsedAt is null && !string.IsNullOrWhiteSpace(capturedAt))
        {
            if (PoolTimestamps.TryParseIso(capturedAt, out DateTimeOffset value))
            {
                parsedAt = value;
            }
            else
            {
                errors.Add($"line {line}: captured_at '{capturedAt}' is not an ISO-8601 time (e.g. 2024-05-01T12:00:00Z)");
            }
        }

        return errors.Count == before ? new PoolItemInfo(id!, path!, source, parsedAt) : null;
    }

    /// <summary>A path (relative to the manifest's folder), a file:// URI or an http(s) URL; other schemes are not fetched by workers.</summary>
    private static bool TryResolve(string uri, string folder, out string? path, out string? problem)
    {
        path = null;
        problem = null;
        if (uri.Contains('\0', StringComparison.Ordinal))
        {
            // Path.GetFullPath throws ArgumentException on it (found by fuzzing): an error of this line, not of the file.
            problem = "uri contains a NUL character";
            return false;
        }

        int scheme = uri.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            path = Path.GetFullPath(uri, folder);
            return true;
        }

        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            // Kept as written; whether its host may be fetched is the reader's decision (Pools__AllowedHosts), at read time.
            if (!Sources.HttpItemReader.IsHttp(uri))
            {
                problem = $"'{uri}' is not a valid http(s) URL";
                return false;
            }

            path = uri;
            return true;
        }

        if (!uri.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            problem = $"uri scheme '{uri[..scheme]}' is not supported; use a file path, a file:// URI or an http(s) URL";
            return false;
        }

        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) || !(parsed.IsLoopback || parsed.Host.Length == 0))
        {
            problem = $"'{uri}' is not a local file:// URI (file:///absolute/path)";
            return false;
        }

        path = parsed.LocalPath;
        return true;
    }
}
