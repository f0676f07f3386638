using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Contracts.Http;
using SisomCluster.Core.Evaluation;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Aggregates;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Api.Items;
using SisomCluster.Server.Api.Paging;

namespace SisomCluster.Server.Api.Results;

/// <summary>
/// What a finished run wrote: the global selection, the OOD thresholds, the drift series; and its score histograms. While a
/// run is not completed, thresholds, drift and histograms answer from what is known so far — the scoring context's
/// thresholds and the committed shards' aggregates — marked <c>partial</c> (live drift).
/// </summary>
internal static class ResultEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder runs = api.MapGroup("/runs/{runId:guid}").WithTags("results");
        runs.MapGet("/selection", SelectionAsync).RequireAuthorization(ApiScopes.Read).WithSummary("The items selected for labeling, by rank, paged.");
        runs.MapGet("/thresholds", ThresholdsAsync).RequireAuthorization(ApiScopes.Read).WithSummary("The run's OOD thresholds (one per score kind).");
        runs.MapGet("/scores", ScoresAsync).RequireAuthorization(ApiScopes.Read).WithSummary("Every scored item of the run with its scores, by item id, paged.");
        runs.MapGet("/drift", DriftAsync).RequireAuthorization(ApiScopes.Read).WithSummary("OOD rate per hour or source with the expected band, paged.");
        runs.MapGet("/histograms", HistogramsAsync).RequireAuthorization(ApiScopes.Read)
            .WithSummary("Equal-width histograms of the run's scores (?score=sisom|sisome|knn|energy, all without; ?bins=, 2–500, default 40) with their thresholds; a run without KNN has no knn histogram.");
    }

    private static async Task<IResult> SelectionAsync(
        Guid runId,
        SisomDbContext db,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        int afterRank = 0;
        if (page.After is { } after && !int.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterRank))
        {
            return PageRequest.InvalidToken();
        }

        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        List<SelectionResponse> rows = await db.Selections.AsNoTracking()
            .Where(s => s.RunId == runId && s.Rank > afterRank)
            .OrderBy(s => s.Rank)
            .Take(page.Size + 1)
            .Select(s => new SelectionResponse(s.Rank, s.ItemId, s.Score, s.OriginalScore, s.Predicted, s.Reason))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(page.ToPage(rows, s => s.Rank.ToString(CultureInfo.InvariantCulture)));
    }

    private static async Task<IResult> ScoresAsync(
        Guid runId,
        SisomDbContext db,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        // Keyset on the primary key (run_id, item_id): the comparison and the order are both PostgreSQL's, in the same collation.
        IQueryable<ItemScore> query = db.ItemScores.AsNoTracking().Where(s => s.RunId == runId);
        if (page.After is { } after)
        {
            query = query.Where(s => string.Compare(s.ItemId, after) > 0);
        }

        List<ScoredItemResponse> items = await query.OrderBy(s => s.ItemId).Take(page.Size + 1).Select(ItemScoreMapping.ToScoredItem).ToListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(page.ToPage(items, s => s.ItemId));
    }

    private static async Task<IResult> ThresholdsAsync(Guid runId, SisomDbContext db, CancellationToken cancellationToken)
    {
        if (await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.State, r.ContextId }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        List<ThresholdResponse> rows = await db.Thresholds.AsNoTracking()
            .Where(t => t.RunId == runId)
            .OrderBy(t => t.ScoreKind).ThenBy(t => t.Id)
            .Select(t => new ThresholdResponse(t.ScoreKind, t.Quantile, t.N, t.Value, t.ContextId, t.ModelVersion, t.ReferenceVersion, t.CreatedAt, false))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0 && run.State != RunState.Completed)
        {
            rows = [.. (await LiveThresholdsAsync(db, runId, run.ContextId, cancellationToken).ConfigureAwait(false))
                .OrderBy(t => t.ScoreKind, StringComparer.Ordinal)
                .Select(t => new ThresholdResponse(t.ScoreKind, t.Quantile, t.N, t.Value, t.ContextId, t.ModelVersion, t.ReferenceVersion, t.CreatedAt, true))];
        }

        return TypedResults.Ok(rows);
    }

    /// <summary>The thresholds a run not yet finalised will get: its scoring context's (none before the context is ready).</summary>
    private static async Task<List<Data.Monitoring.Threshold>> LiveThresholdsAsync(SisomDbContext db, Guid runId, Guid? contextId, CancellationToken cancellationToken)
    {
        if (contextId is not { } id || await db.ScoringContexts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id, cancellationToken).ConfigureAwait(false) is not { } context)
        {
            return [];
        }

        int n = await db.ReferenceItems.CountAsync(r => r.ContextId == id, cancellationToken).ConfigureAwait(false);
        return ContextThresholds.Of(context, runId, n, context.CreatedAt);
    }

    private static async Task<IResult> HistogramsAsync(
        Guid runId,
        SisomDbContext db,
        NpgsqlDataSource dataSource,
        [FromQuery] string? score,
        [FromQuery] string? bins,
        CancellationToken cancellationToken)
    {
        if (!ApiQuery.TryInt(bins, "bins", 2, ScoreHistograms.MaxBins, ScoreHistograms.DefaultBins, out int count, out IResult? problem))
        {
            return problem!;
        }

        string[] scores = [.. ScoreHistograms.Columns.Keys];
        string? wanted = null;
        if (!string.IsNullOrEmpty(score))
        {
            wanted = score.ToLowerInvariant();
            if (!ScoreHistograms.Columns.ContainsKey(wanted))
            {
                return ApiProblems.BadRequest("score", $"unknown score '{(score.Length > 40 ? score[..40] + "…" : score)}'; use {string.Join(", ", scores)}.");
            }

            scores = [wanted];
        }

        if (await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.State, r.ContextId, r.Knn }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        // A run without the KNN baseline has no knn scores: no knn series (rather than an empty one), and asking for it says why.
        if (!run.Knn)
        {
            if (wanted == "knn")
            {
                return ApiProblems.BadRequest("score", $"run {runId} was started without the KNN baseline (knn: false): it has no knn scores.");
            }

            scores = [.. scores.Where(s => s != "knn")];
        }

        // A run has one threshold per score kind; should a context change have left several, the newest is the one drawn.
        Dictionary<string, double> thresholds = (await db.Thresholds.AsNoTracking()
            .Where(t => t.RunId == runId)
            .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id)
            .Select(t => new { t.ScoreKind, t.Value })
            .ToListAsync(cancellationToken).ConfigureAwait(false))
            .GroupBy(t => t.ScoreKind, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        bool partial = run.State != RunState.Completed;
        if (thresholds.Count == 0 && partial)
        {
            thresholds = (await LiveThresholdsAsync(db, runId, run.ContextId, cancellationToken).ConfigureAwait(false)).ToDictionary(t => t.ScoreKind, t => t.Value, StringComparer.Ordinal);
        }

        // The shards' merged bins when every committed shard left them (O(shards)); a run scored before them is scanned.
        AggregateCoverage coverage = await RunAggregates.CoverageAsync(dataSource, runId, cancellationToken).ConfigureAwait(false);
        bool merge = coverage.Complete || (partial && coverage.DoneShards == 0);
        var histograms = new List<ScoreHistogramResponse>(scores.Length);
        foreach (string name in scores)
        {
            double? threshold = thresholds.TryGetValue(name, out double t) ? t : null;
            histograms.Add(merge
                ? await ScoreHistograms.MergeAsync(dataSource, runId, name, count, threshold, partial, cancellationToken).ConfigureAwait(false)
                : await ScoreHistograms.LoadAsync(dataSource, runId, name, count, threshold, cancellationToken).ConfigureAwait(false) with { Partial = partial });
        }

        return TypedResults.Ok(histograms);
    }

    private static async Task<IResult> DriftAsync(
        Guid runId,
        SisomDbContext db,
        NpgsqlDataSource dataSource,
        [FromQuery] string? kind,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        DriftBucketKind? wanted = null;
        if (!string.IsNullOrEmpty(kind))
        {
            wanted = kind.ToLowerInvariant() switch
            {
                "hour" => DriftBucketKind.Hour,
                "source" => DriftBucketKind.Source,
                _ => null,
            };
            if (wanted is null)
            {
                return ApiProblems.BadRequest("kind", $"unknown bucket kind '{kind}'; use hour or source.");
            }
        }

        if (await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.State }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false) is not { } run)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        (DriftBucketKind Kind, string Bucket)? from = null;
        if (page.After is { } after)
        {
            // Token: "<kind>|<bucket>"; kinds sort hour < source, as their stored text does.
            int bar = after.IndexOf('|', StringComparison.Ordinal);
            DriftBucketKind? afterKind = bar < 0 ? null : after[..bar] switch { "hour" => DriftBucketKind.Hour, "source" => DriftBucketKind.Source, _ => null };
            if (afterKind is not { } k)
            {
                return PageRequest.InvalidToken();
            }

            from = (k, after[(bar + 1)..]);
        }

        if (run.State != RunState.Completed)
        {
            return TypedResults.Ok(page.ToPage(await LiveDriftAsync(dataSource, runId, wanted, from, page.Size + 1, cancellationToken).ConfigureAwait(false), p => $"{p.Kind}|{p.Bucket}"));
        }

        IQueryable<DriftPoint> query = db.DriftPoints.AsNoTracking().Where(p => p.RunId == runId);
        if (wanted is { } only)
        {
            query = query.Where(p => p.BucketKind == only);
        }

        if (from is ({ } fromKind, { } bucket))
        {
            query = fromKind == DriftBucketKind.Hour
                ? query.Where(p => p.BucketKind == DriftBucketKind.Source || (p.BucketKind == DriftBucketKind.Hour && string.Compare(p.Bucket, bucket) > 0))
                : query.Where(p => p.BucketKind == DriftBucketKind.Source && string.Compare(p.Bucket, bucket) > 0);
        }

        List<DriftPoint> rows = await query.OrderBy(p => p.BucketKind == DriftBucketKind.Source).ThenBy(p => p.Bucket).Take(page.Size + 1)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        List<DriftPointResponse> items = [.. rows.Select(p => new DriftPointResponse(p.BucketKind.ToString().ToLowerInvariant(), p.Bucket, p.Scored, p.Flagged, p.Rate, p.Lower, p.Upper, false))];
        return TypedResults.Ok(page.ToPage(items, p => $"{p.Kind}|{p.Bucket}"));
    }

    /// <summary>
    /// Drift of a run not yet completed: the committed shards' counts summed (O(shards × buckets)), with the Wilson band the
    /// finaliser will store, in the stored points' order (hour before source, then bucket in the database's collation).
    /// </summary>
    private static async Task<List<DriftPointResponse>> LiveDriftAsync(
        NpgsqlDataSource dataSource, Guid runId, DriftBucketKind? wanted, (DriftBucketKind Kind, string Bucket)? from, int take, CancellationToken cancellationToken)
    {
        List<DriftCount> counts = await RunAggregates.DriftAsync(dataSource, runId, cancellationToken).ConfigureAwait(false);

        // RunAggregates orders by kind then bucket in SQL; the page token's bucket is compared the same way, by position.
        int start = 0;
        if (from is ({ } kind, { } bucket))
        {
            int at = counts.FindIndex(c => c.Kind == kind && c.Bucket == bucket);
            start = at >= 0 ? at + 1 : counts.FindIndex(c => c.Kind > kind || (c.Kind == kind && string.CompareOrdinal(c.Bucket, bucket) > 0)) is int next and >= 0 ? next : counts.Count;
        }

        return [.. counts.Skip(start).Where(c => wanted is null || c.Kind == wanted).Take(take).Select(c =>
        {
            WilsonInterval w = WilsonInterval.Compute(c.Flagged, c.Scored);
            return new DriftPointResponse(c.Kind.ToString().ToLowerInvariant(), c.Bucket, c.Scored, c.Flagged, w.Rate, w.Lower, w.Upper, true);
        })];
    }
}
