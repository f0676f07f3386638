using Npgsql;

namespace SisomCluster.Data.Monitoring;

/// <summary>
/// Everything the dashboard draws for one run, computed in PostgreSQL (the scores never leave the database as rows):
/// score histograms with their thresholds, the OOD rate per hour and per source with Wilson intervals, the selection.
/// </summary>
public sealed record RunDashboard(
    Guid RunId,
    string State,
    double Quantile,
    IReadOnlyList<ScoreHistogram> Histograms,
    IReadOnlyList<DriftSeriesPoint> Hourly,
    IReadOnlyList<DriftSeriesPoint> Sources,
    IReadOnlyList<SelectedItemRow> Selection)
{
    /// <summary>The score columns a histogram may be drawn for (a fixed list: column names are never taken from input).</summary>
    public static readonly IReadOnlyDictionary<string, string> ScoreColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["sisom"] = "sisom",
        ["sisome"] = "sisome",
        ["energy"] = "energy",
    };

    /// <returns>Null when the run does not exist.</returns>
    public static async Task<RunDashboard?> LoadAsync(NpgsqlDataSource dataSource, Guid runId, int bins = 40, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bins, 500);
        string? state = null;
        double quantile = 0;
        await using (NpgsqlCommand command = dataSource.CreateCommand("SELECT state, quantile FROM runs WHERE id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                state = reader.GetString(0);
                quantile = reader.GetDouble(1);
            }
        }

        if (state is null)
        {
            return null;
        }

        var thresholds = new Dictionary<string, double>(StringComparer.Ordinal);
        await using (NpgsqlCommand command = dataSource.CreateCommand("SELECT score_kind, value FROM thresholds WHERE run_id = $1"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                thresholds[reader.GetString(0)] = reader.GetDouble(1);
            }
        }

        var histograms = new List<ScoreHistogram>();
        foreach ((string score, string column) in ScoreColumns)
        {
            histograms.Add(await HistogramAsync(dataSource, runId, score, column, bins, thresholds.TryGetValue(score, out double t) ? t : null, cancellationToken).ConfigureAwait(false));
        }

        var hourly = new List<DriftSeriesPoint>();
        var sources = new List<DriftSeriesPoint>();
        await using (NpgsqlCommand command = dataSource.CreateCommand("SELECT bucket_kind, bucket, scored, flagged, rate, lower, upper FROM drift_points WHERE run_id = $1 ORDER BY bucket_kind, bucket"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var point = new DriftSeriesPoint(reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetDouble(4), reader.GetDouble(5), reader.GetDouble(6));
                (reader.GetString(0) == "hour" ? hourly : sources).Add(point);
            }
        }

        var selection = new List<SelectedItemRow>();
        const string SelectionSql = """
            SELECT s.rank, s.item_id, s.score, s.predicted, i.sisome, i.energy, i.ood_sisom
            FROM selections s LEFT JOIN item_scores i ON i.run_id = s.run_id AND i.item_id = s.item_id
            WHERE s.run_id = $1 ORDER BY s.rank
            """;
        await using (NpgsqlCommand command = dataSource.CreateCommand(SelectionSql))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                selection.Add(new SelectedItemRow(
                    reader.GetInt32(0), reader.GetString(1), reader.GetDouble(2), reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : reader.GetDouble(4), reader.IsDBNull(5) ? null : reader.GetDouble(5), !reader.IsDBNull(6) && reader.GetBoolean(6)));
            }
        }

        return new RunDashboard(runId, state, quantile, histograms, hourly, sources, selection);
    }

    private static async Task<ScoreHistogram> HistogramAsync(NpgsqlDataSource dataSource, Guid runId, string score, string column, int bins, double? threshold, CancellationToken cancellationToken)
    {
        // width_bucket puts the maximum into bin bins + 1; it is folded into the last bin.
        string sql = $"""
            WITH r AS (SELECT min({column}) AS lo, max({column}) AS hi FROM item_scores WHERE run_id = $1)
            SELECT r.lo, r.hi, least(width_bucket(s.{column}, r.lo, r.hi, $2), $2) AS bin, count(*)
            FROM item_scores s, r
            WHERE s.run_id = $1 AND r.hi > r.lo
            GROUP BY r.lo, r.hi, bin ORDER BY bin
            """;
        var counts = new long[bins];
        double? lo = null;
        double? hi = null;
        await using (NpgsqlCommand command = dataSource.CreateCommand(sql))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = bins });
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                lo = reader.GetDouble(0);
                hi = reader.GetDouble(1);
                counts[reader.GetInt32(2) - 1] = reader.GetInt64(3);
            }
        }

        return new ScoreHistogram(score, lo ?? 0, hi ?? 0, counts, threshold);
    }
}
