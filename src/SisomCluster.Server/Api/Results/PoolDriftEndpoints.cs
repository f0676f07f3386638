using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using SisomCluster.Contracts.Http;
using SisomCluster.Core.Evaluation;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Server.Api.Paging;

namespace SisomCluster.Server.Api.Results;

/// <summary>
/// Drift across the completed runs of a pool (<c>GET /api/v1/pools/{pool}/drift?bucket=day|source</c>), read from the
/// runs' stored drift points (<c>drift_points</c>, written by the finaliser without the labeled reference items).
/// <para>
/// Counting rule: a bucket's counts come from one run, the newest completed run that scored it (by completion time,
/// then id). Runs that re-score a pool score the same items again; summing them would count an item once per run, and
/// the drift points hold counts, not items, so nothing else could tell the repeats apart. The newest run holds the
/// current verdict (model, reference set, threshold). The cost: an incremental run that scores only a few new items of
/// an old day replaces that day's counts with its own few; <see cref="PoolDriftPointResponse.Runs"/> says how many runs
/// scored each bucket, and each run's own series stays at <c>/runs/{id}/drift</c>.
/// </para>
/// The interval is the one per-run drift uses: <see cref="WilsonInterval"/> over the summed counts (a day sums the run's
/// hours), and drift is <see cref="WilsonInterval.IsDrift"/> against that run's 1 − q.
/// </summary>
internal static class PoolDriftEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/pools/{pool}/drift", DriftAsync).WithTags("results").RequireAuthorization(ApiScopes.Read)
            .WithSummary("A pool's OOD rate across its completed runs per UTC day of capture (?bucket=day) or per source (?bucket=source), "
                + "each bucket from the newest completed run that scored it, with Wilson 95 % intervals; ?from=&to= (ISO-8601), ?score=; paged.");
    }

    private static async Task<IResult> DriftAsync(
        string pool,
        SisomDbContext db,
        NpgsqlDataSource dataSource,
        [FromQuery] string? bucket,
        [FromQuery] string? from,
        [FromQuery] string? to,
        [FromQuery] string? score,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        string kind = string.IsNullOrEmpty(bucket) ? "day" : bucket.ToLowerInvariant();
        if (kind is not ("day" or "source"))
        {
            return ApiProblems.BadRequest("bucket", $"unknown bucket '{bucket}'; use day or source.");
        }

        if (!TryInstant(from, "from", out DateTimeOffset? since, out problem) || !TryInstant(to, "to", out DateTimeOffset? until, out problem))
        {
            return problem!;
        }

        if (since is { } a && until is { } b && a >= b)
        {
            return ApiProblems.BadRequest("from", $"must be before to ({a:O} is not before {b:O}).");
        }

        if (!string.IsNullOrEmpty(score) && !OodScores.IsKnown(score))
        {
            return ApiProblems.BadRequest("score", $"unknown OOD score '{score}'; use one of {string.Join(", ", OodScores.All)}.");
        }

        Guid poolId = await db.Pools.Where(p => p.Name == pool).Select(p => p.Id).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (poolId == Guid.Empty)
        {
            return ApiProblems.NotFound($"No pool named '{pool}'.");
        }

        // A day is the first 10 characters of the stored hour bucket ("2026-11-20T10:00Z"); from/to bound the hours. A source
        // has no time of its own: from/to bound the runs' completion instead.
        string points = kind == "day"
            ? """
              SELECT p.run_id, left(p.bucket, 10) AS bucket, sum(p.scored)::bigint AS scored, sum(p.flagged)::bigint AS flagged
              FROM drift_points p JOIN r ON r.id = p.run_id
              WHERE p.bucket_kind = 'hour' AND ($3::timestamptz IS NULL OR p.bucket::timestamptz >= $3) AND ($4::timestamptz IS NULL OR p.bucket::timestamptz < $4)
              GROUP BY 1, 2
              """
            : """
              SELECT p.run_id, p.bucket, p.scored, p.flagged
              FROM drift_points p JOIN r ON r.id = p.run_id
              WHERE p.bucket_kind = 'source' AND ($3::timestamptz IS NULL OR r.completed_at >= $3) AND ($4::timestamptz IS NULL OR r.completed_at < $4)
              """;
        string sql = $"""
            WITH r AS (SELECT id, completed_at, ood_score, quantile FROM runs WHERE pool_id = $1 AND state = 'completed' AND ($2::text IS NULL OR ood_score = $2)
                       AND NOT coalesce((options::jsonb ->> 'incremental')::boolean, false)),
                 d AS ({points}),
                 ranked AS (
                   SELECT d.bucket, d.scored, d.flagged, d.run_id, r.completed_at, r.ood_score, r.quantile,
                          row_number() OVER (PARTITION BY d.bucket ORDER BY r.completed_at DESC NULLS LAST, r.id DESC) AS newest,
                          count(*) OVER (PARTITION BY d.bucket) AS runs
                   FROM d JOIN r ON r.id = d.run_id)
            SELECT bucket, scored, flagged, run_id, completed_at, ood_score, quantile, runs FROM ranked
            WHERE newest = 1 AND ($5::text IS NULL OR bucket > $5)
            ORDER BY bucket LIMIT $6
            """;
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = string.IsNullOrEmpty(score) ? DBNull.Value : score });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = since is { } s ? s : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = until is { } u ? u : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = page.After is { } after ? after : DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = page.Size + 1 });
        var rows = new List<PoolDriftPointResponse>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                long scored = reader.GetInt64(1);
                long flagged = reader.GetInt64(2);
                double quantile = reader.GetDouble(6);
                WilsonInterval w = WilsonInterval.Compute(flagged, scored);
                rows.Add(new PoolDriftPointResponse(
                    kind,
                    reader.GetString(0),
                    scored,
                    flagged,
                    w.Rate,
                    w.Lower,
                    w.Upper,
                    1 - quantile,
                    WilsonInterval.IsDrift(scored, w.Lower, w.Upper, quantile),
                    reader.GetGuid(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    reader.GetString(5),
                    (int)reader.GetInt64(7)));
            }
        }

        return TypedResults.Ok(page.ToPage(rows, p => p.Bucket));
    }

    /// <summary>An ISO-8601 instant or a date (read as UTC midnight); empty is no bound.</summary>
    private static bool TryInstant(string? text, string field, out DateTimeOffset? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset parsed))
        {
            problem = ApiProblems.BadRequest(field, $"not an ISO-8601 date or instant: '{(text.Length > 40 ? text[..40] + "…" : text)}' (e.g. 2026-11-20 or 2026-11-20T08:00:00Z).");
            return false;
        }

        value = parsed;
        return true;
    }
}
