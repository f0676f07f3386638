using Npgsql;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Aggregates;

namespace SisomCluster.Server.Api.Results;

/// <summary>
/// Score histograms computed in PostgreSQL (<c>width_bucket</c>): the scores never leave the database as rows, so a run
/// of millions of items costs one aggregate per score. Non-finite scores (an item with no reference has an infinite
/// d_in, and scores built from it) are left out, since they have no bin; so are labeled reference items
/// (<c>is_reference</c>), whose leave-one-out scores would otherwise pile up beside the pool's.
/// </summary>
internal static class ScoreHistograms
{
    public const int DefaultBins = 40;

    public const int MaxBins = 500;

    /// <summary>The scores a histogram may be drawn for, and their columns (a fixed list: column names are never taken from input).</summary>
    public static readonly IReadOnlyDictionary<string, string> Columns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["sisom"] = "sisom",
        ["sisome"] = "sisome",
        ["knn"] = "knn",
        ["energy"] = "energy",
    };

    /// <summary>
    /// The histogram of a score from the shards' merged fixed bins (<see cref="RunAggregates.HistogramAsync"/>): consecutive
    /// fine bins are grouped ⌈n / bins⌉ at a time so at most <paramref name="bins"/> remain; min and max are the outer edges.
    /// O(shards × bins), whatever the run's size.
    /// </summary>
    public static async Task<ScoreHistogramResponse> MergeAsync(NpgsqlDataSource dataSource, Guid runId, string score, int bins, double? threshold, bool partial, CancellationToken cancellationToken)
    {
        (double? width, List<KeyValuePair<long, long>> fine) = await RunAggregates.HistogramAsync(dataSource, runId, score, cancellationToken).ConfigureAwait(false);
        if (width is not { } w || fine.Count == 0)
        {
            return new ScoreHistogramResponse(score, null, null, new long[bins], threshold, partial);
        }

        long first = fine[0].Key;
        long span = fine[^1].Key - first + 1;
        long group = (span + bins - 1) / bins;
        var counts = new long[(span + group - 1) / group];
        foreach ((long bin, long count) in fine)
        {
            counts[(bin - first) / group] += count;
        }

        return new ScoreHistogramResponse(score, first * w, (first + (counts.Length * group)) * w, counts, threshold, partial);
    }

    public static async Task<ScoreHistogramResponse> LoadAsync(NpgsqlDataSource dataSource, Guid runId, string score, int bins, double? threshold, CancellationToken cancellationToken)
    {
        string column = Columns[score];

        // width_bucket puts the maximum into bin bins + 1; it is folded into the last bin. A constant score has no width: bin 1.
        string sql = $"""
            WITH s AS (SELECT {column} AS v FROM item_scores WHERE run_id = $1 AND NOT is_reference AND {column} > '-Infinity'::float8 AND {column} < 'Infinity'::float8),
                 r AS (SELECT min(v) AS lo, max(v) AS hi FROM s)
            SELECT r.lo, r.hi, CASE WHEN r.hi > r.lo THEN least(width_bucket(s.v, r.lo, r.hi, $2), $2) ELSE 1 END AS bin, count(*)
            FROM s, r
            GROUP BY r.lo, r.hi, bin ORDER BY bin
            """;
        var counts = new long[bins];
        double? lo = null;
        double? hi = null;
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = bins });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            lo = reader.GetDouble(0);
            hi = reader.GetDouble(1);
            counts[reader.GetInt32(2) - 1] = reader.GetInt64(3);
        }

        return new ScoreHistogramResponse(score, lo, hi, counts, threshold);
    }
}
