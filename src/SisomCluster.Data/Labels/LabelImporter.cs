using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using SisomCluster.Core.Text;

namespace SisomCluster.Data.Labels;

/// <summary>
/// Imports a label file (<c>id,label</c> per line) into a pool, all or nothing: every problem of the file is collected
/// with its line number before anything is written, so a user fixes the file once instead of once per error.
/// </summary>
public sealed class LabelImporter
{
    private readonly NpgsqlDataSource _dataSource;

    public LabelImporter(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <param name="csv">
    /// <c>id,label</c> lines; an optional first line <c>id,label</c> (or <c>item_id,label</c>) is a header; blank lines are skipped.
    /// The label is an integer in 0..K−1 or, when <paramref name="classNames"/> is given, one of those names (exact spelling).
    /// </param>
    /// <param name="classNames">The K class names in index order, or null when the labels are integers of an unknown K.</param>
    /// <exception cref="LabelImportException">The file had problems; nothing was written.</exception>
    public Task<LabelImportResult> ImportAsync(
        Guid poolId, TextReader csv, IReadOnlyList<string>? classNames, CancellationToken cancellationToken = default) =>
        ImportAsync(poolId, csv, classNames, fallback: null, cancellationToken);

    /// <summary>As the overload without <paramref name="fallback"/>, with names a label may use when the import gives none.</summary>
    /// <param name="fallback">With no <paramref name="classNames"/>: the names a non-integer label is looked up in (the model manifest's).</param>
    public async Task<LabelImportResult> ImportAsync(
        Guid poolId, TextReader csv, IReadOnlyList<string>? classNames, FallbackClassNames? fallback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(csv);
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                LabelImportResult result = await ImportAsync(connection, poolId, csv, classNames, fallback, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
        }
    }

    /// <summary>
    /// Imports into the transaction the caller holds open on <paramref name="connection"/> (e.g. a round's, which creates its
    /// run and round row in the same transaction): nothing is committed here, so the caller's commit writes the labels
    /// together with whatever else it wrote, and its rollback (or a crash before its commit) leaves no label behind.
    /// </summary>
    /// <param name="connection">An open connection with the caller's transaction begun on it.</param>
    /// <param name="csv">As the other overload's.</param>
    /// <param name="classNames">As the other overload's.</param>
    /// <param name="fallback">As the other overload's.</param>
    /// <exception cref="LabelImportException">The file had problems; nothing was written (the caller's transaction is left to the caller).</exception>
    public static async Task<LabelImportResult> ImportAsync(
        NpgsqlConnection connection, Guid poolId, TextReader csv, IReadOnlyList<string>? classNames, FallbackClassNames? fallback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(csv);
        var problems = new List<LabelImportProblem>();
        Dictionary<string, ParsedLabel> labels = await ParseAsync(csv, classNames, classNames is null ? fallback : null, problems, cancellationToken).ConfigureAwait(false);

        // Imports into one pool take turns, so that the checks below still hold when the rows are written.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtextextended('labels:' || $1::text, 0))", cancellationToken, poolId)
            .ConfigureAwait(false);
        await ExecuteAsync(
            connection,
            "CREATE TEMP TABLE labels_in (item_id text NOT NULL, label int NOT NULL, label_name text, line int NOT NULL) ON COMMIT DROP",
            cancellationToken).ConfigureAwait(false);
        await CopyAsync(connection, labels.Values, cancellationToken).ConfigureAwait(false);
        await CheckAgainstDatabaseAsync(connection, poolId, problems, cancellationToken).ConfigureAwait(false);

        if (problems.Count > 0)
        {
            problems.Sort((a, b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : a.Kind.CompareTo(b.Kind));
            throw new LabelImportException(problems);
        }

        Guid importId = Guid.CreateVersion7();
        int added = await ExecuteAsync(
            connection,
            """
            INSERT INTO labels (pool_id, item_id, label, label_name, imported_at, import_id)
            SELECT $1, item_id, label, label_name, now(), $2 FROM labels_in
            ON CONFLICT (pool_id, item_id) DO NOTHING
            """,
            cancellationToken,
            poolId,
            importId).ConfigureAwait(false);

        // The caller's transaction may go on (and import again): the staging table goes now, not at its commit.
        await ExecuteAsync(connection, "DROP TABLE labels_in", cancellationToken).ConfigureAwait(false);
        return new LabelImportResult(importId, added, labels.Count - added, Changed: 0);
    }

    private static async Task<Dictionary<string, ParsedLabel>> ParseAsync(
        TextReader csv, IReadOnlyList<string>? classNames, FallbackClassNames? fallback, List<LabelImportProblem> problems, CancellationToken cancellationToken)
    {
        Dictionary<string, int>? classIndex = Index(classNames);
        Dictionary<string, int>? fallbackIndex = Index(fallback?.Names);

        var labels = new Dictionary<string, ParsedLabel>(StringComparer.Ordinal);
        // One record per line: an unclosed quote is an error of its line only, and every bad line is reported.
        var reader = new CsvReader(csv, quotedLineBreaks: false);
        bool firstContentLine = true;
        while (true)
        {
            CsvRecord? record;
            try
            {
                record = await reader.ReadRecordAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (CsvFormatException e)
            {
                // The reader drops the bad line and goes on with the next.
                problems.Add(new LabelImportProblem(e.Line, LabelProblemKind.Malformed, $"malformed line ({e.Reason})"));
                continue;
            }

            if (record is null)
            {
                break;
            }

            int lineNumber = record.Line;
            if (record.Fields is [var only] && string.IsNullOrWhiteSpace(only))
            {
                continue;
            }

            bool headerCandidate = firstContentLine;
            firstContentLine = false;
            List<string> fields = [.. record.Fields.Select(f => f.Trim())];
            if (headerCandidate && IsHeader(fields))
            {
                continue;
            }

            if (fields.Count != 2)
            {
                problems.Add(new LabelImportProblem(
                    lineNumber, LabelProblemKind.Malformed, $"malformed line: expected 2 fields (id,label), found {fields.Count}"));
                continue;
            }

            string id = fields[0];
            if (id.Length == 0)
            {
                problems.Add(new LabelImportProblem(lineNumber, LabelProblemKind.Malformed, "malformed line: empty item id"));
                continue;
            }

            bool byFallback = false;
            if (!TryParseLabel(fields[1], classNames, classIndex, out int label, out string? labelError)
                && !(byFallback = classIndex is null && fallbackIndex is not null && fallbackIndex.TryGetValue(fields[1], out label)))
            {
                if (fallback is not null && classIndex is null && !int.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    labelError = $"label '{fields[1]}' is neither an integer nor a class name of {fallback.Origin} (or give the names: class_names)";
                }

                problems.Add(new LabelImportProblem(lineNumber, LabelProblemKind.BadLabel, $"item '{id}': {labelError}"));
                continue;
            }

            if (labels.TryGetValue(id, out ParsedLabel earlier))
            {
                if (earlier.Label != label)
                {
                    problems.Add(new LabelImportProblem(
                        lineNumber,
                        LabelProblemKind.Conflict,
                        $"item '{id}' is labeled {label} here but {earlier.Label} on line {earlier.Line}"));
                }

                continue;
            }

            string? name = classNames is not null ? classNames[label] : byFallback ? fields[1] : null;
            labels.Add(id, new ParsedLabel(id, label, name, lineNumber));
        }

        return labels;
    }

    private static Dictionary<string, int>? Index(IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return null;
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < names.Count; k++)
        {
            index.TryAdd(names[k], k);
        }

        return index;
    }

    private static bool IsHeader(List<string> fields) =>
        fields.Count == 2
        && (fields[0].Equals("id", StringComparison.OrdinalIgnoreCase) || fields[0].Equals("item_id", StringComparison.OrdinalIgnoreCase))
        && fields[1].Equals("label", StringComparison.OrdinalIgnoreCase);

    private static bool TryParseLabel(
        string text, IReadOnlyList<string>? classNames, Dictionary<string, int>? classIndex, out int label, out string? error)
    {
        error = null;
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out label))
        {
            if (label < 0)
            {
                error = $"label {label} is negative";
                return false;
            }

            if (classNames is not null && label >= classNames.Count)
            {
                error = $"label {label} is not in 0..{classNames.Count - 1}";
                return false;
            }

            return true;
        }

        if (classIndex is not null && classIndex.TryGetValue(text, out label))
        {
            return true;
        }

        error = text.Length == 0
            ? "empty label"
            : classIndex is null
                ? $"label '{text}' is not an integer (no class names were given)"
                : $"label '{text}' is neither an integer in 0..{classNames!.Count - 1} nor a class name";
        return false;
    }

    private static async Task CopyAsync(NpgsqlConnection connection, IEnumerable<ParsedLabel> labels, CancellationToken cancellationToken)
    {
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            "COPY labels_in (item_id, label, label_name, line) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ParsedLabel label in labels)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(label.ItemId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(label.Label, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                if (label.Name is null)
                {
                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteAsync(label.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }

                await importer.WriteAsync(label.Line, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task CheckAgainstDatabaseAsync(
        NpgsqlConnection connection, Guid poolId, List<LabelImportProblem> problems, CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT i.line, i.item_id, NULL::int AS stored
            FROM labels_in i
            WHERE NOT EXISTS (SELECT 1 FROM items t WHERE t.pool_id = $1 AND t.item_id = i.item_id)
            UNION ALL
            SELECT i.line, i.item_id, l.label
            FROM labels_in i JOIN labels l ON l.pool_id = $1 AND l.item_id = i.item_id
            WHERE l.label <> i.label
            """;
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = poolId });
        NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                int line = reader.GetInt32(0);
                string id = reader.GetString(1);
                problems.Add(reader.IsDBNull(2)
                    ? new LabelImportProblem(line, LabelProblemKind.UnknownItem, $"item '{id}' is not in the pool")
                    : new LabelImportProblem(line, LabelProblemKind.Conflict, $"item '{id}' is already labeled {reader.GetInt32(2)}"));
            }
        }
    }

    private static async Task<int> ExecuteAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private readonly record struct ParsedLabel(string ItemId, int Label, string? Name, int Line);
}
