using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Results;
using SisomCluster.Server.Api.Items;
using SisomCluster.Server.Api.Paging;

namespace SisomCluster.Server.Api.Results;

/// <summary>What a finished run wrote: the global selection, the OOD thresholds, the drift series; and its score histograms.</summary>
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
            .WithSummary("Equal-width histograms of the run's scores (?score=sisom|sisome|knn|energy, all without; ?bins=, 2–500, default 40) with their thresholds.");
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
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        List<ThresholdResponse> rows = await db.Thresholds.AsNoTracking()
            .Where(t => t.RunId == runId)
            .OrderBy(t => t.ScoreKind).ThenBy(t => t.Id)
            .Select(t => new ThresholdResponse(t.ScoreKind, t.Quantile, t.N, t.Value, t.ContextId, t.ModelVersion, t.ReferenceVersion, t.CreatedAt))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(rows);
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
        if (!string.IsNullOrEmpty(score))
        {
            string wanted = score.ToLowerInvariant();
            if (!ScoreHistograms.Columns.ContainsKey(wanted))
            {
                return ApiProblems.BadRequest("score", $"unknown score '{(score.Length > 40 ? score[..40] + "…" : score)}'; use {string.Join(", ", scores)}.");
            }

            scores = [wanted];
        }

        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        // A run has one threshold per score kind; should a context change have left several, the newest is the one drawn.
        Dictionary<string, double> thresholds = (await db.Thresholds.AsNoTracking()
            .Where(t => t.RunId == runId)
            .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id)
            .Select(t => new { t.ScoreKind, t.Value })
            .ToListAsync(cancellationToken).ConfigureAwait(false))
            .GroupBy(t => t.ScoreKind, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
        var histograms = new List<ScoreHistogramResponse>(scores.Length);
        foreach (string name in scores)
        {
            double? threshold = thresholds.TryGetValue(name, out double t) ? t : null;
            histograms.Add(await ScoreHistograms.LoadAsync(dataSource, runId, name, count, threshold, cancellationToken).ConfigureAwait(false));
        }

        return TypedResults.Ok(histograms);
    }

    private static async Task<IResult> DriftAsync(
        Guid runId,
        SisomDbContext db,
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

        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        IQueryable<DriftPoint> query = db.DriftPoints.AsNoTracking().Where(p => p.RunId == runId);
        if (wanted is { } only)
        {
            query = query.Where(p => p.BucketKind == only);
        }

        if (page.After is { } after)
        {
            // Token: "<kind>|<bucket>"; kinds sort hour < source, as their stored text does.
            int bar = after.IndexOf('|', StringComparison.Ordinal);
            DriftBucketKind? afterKind = bar < 0 ? null : after[..bar] switch { "hour" => DriftBucketKind.Hour, "source" => DriftBucketKind.Source, _ => null };
            if (afterKind is not { } k)
            {
                return PageRequest.InvalidToken();
            }

            string bucket = after[(bar + 1)..];
            query = k == DriftBucketKind.Hour
                ? query.Where(p => p.BucketKind == DriftBucketKind.Source || (p.BucketKind == DriftBucketKind.Hour && string.Compare(p.Bucket, bucket) > 0))
                : query.Where(p => p.BucketKind == DriftBucketKind.Source && string.Compare(p.Bucket, bucket) > 0);
        }

        List<DriftPoint> rows = await query.OrderBy(p => p.BucketKind == DriftBucketKind.Source).ThenBy(p => p.Bucket).Take(page.Size + 1)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        List<DriftPointResponse> items = [.. rows.Select(p => new DriftPointResponse(p.BucketKind.ToString().ToLowerInvariant(), p.Bucket, p.Scored, p.Flagged, p.Rate, p.Lower, p.Upper))];
        return TypedResults.Ok(page.ToPage(items, p => $"{p.Kind}|{p.Bucket}"));
    }
}
