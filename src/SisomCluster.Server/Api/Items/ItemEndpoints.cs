using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pgvector;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// One item of a run (scores, flags, nearest reference, label, selection rank), its thumbnail, and similar items.
/// Item ids may hold slashes (tar pools: <c>&lt;tar&gt;/&lt;key&gt;</c>), so they are the route's last, catch-all segment.
/// </summary>
internal static class ItemEndpoints
{
    public const int MaxNeighbours = 100;

    /// <summary>What a 503 for a thumbnail asks the client to wait (seconds): a render takes milliseconds.</summary>
    private const string ThumbnailRetryAfterSeconds = "1";

    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder items = api.MapGroup("/").WithTags("items");
        items.MapGet("/runs/{runId:guid}/items/{**itemId}", DetailAsync).RequireAuthorization(ApiScopes.Read)
            .WithSummary("An item's scores and flags in a run, its nearest reference, label and selection rank.");
        items.MapGet("/pools/{pool}/thumbnails/{**itemId}", ThumbnailAsync).RequireAuthorization(ApiScopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "image/png")
            .WithSummary("A PNG thumbnail of a pool item (longest side ?size=, 16–512, default 128), under the workers' decode limits; cached per shard.");
        items.MapGet("/runs/{runId:guid}/similar/{**itemId}", SimilarAsync).RequireAuthorization(ApiScopes.Read)
            .WithSummary("The k items of the run nearest to this one by cosine distance of stored embeddings.");
        items.MapPost("/runs/{runId:guid}/similarity-index", CreateIndexAsync).RequireAuthorization(ApiScopes.Write)
            .WithSummary("Build the run's HNSW index over its stored embeddings (idempotent; waits for the build).");
    }

    /// <summary>
    /// The item id of a catch-all route value: Kestrel decodes every escape of the path except <c>%2F</c>, so an id sent
    /// with its slashes escaped (<c>a%2Fb</c>) arrives with them still escaped. (An id holding the literal text "%2F" is
    /// therefore not addressable; no pool kind makes such ids.)
    /// </summary>
    internal static string ItemIdFromRoute(string routeValue) =>
        routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static async Task<IResult> DetailAsync(Guid runId, string itemId, SisomDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        itemId = ItemIdFromRoute(itemId);
        Run? run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        ItemScoresResponse? scores = await db.ItemScores.AsNoTracking().Where(s => s.RunId == runId && s.ItemId == itemId)
            .Select(ItemScoreMapping.ToResponse)
            .SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        ItemError? error = await db.ItemErrors.AsNoTracking().SingleOrDefaultAsync(e => e.RunId == runId && e.ItemId == itemId, cancellationToken).ConfigureAwait(false);
        Item? item = await db.Items.AsNoTracking().SingleOrDefaultAsync(i => i.PoolId == run.PoolId && i.ItemId == itemId, cancellationToken).ConfigureAwait(false);
        if (scores is null && error is null && item is null)
        {
            return ApiProblems.NotFound($"Run {runId} has no item '{itemId}'.");
        }

        string pool = await db.Pools.Where(p => p.Id == run.PoolId).Select(p => p.Name).SingleAsync(cancellationToken).ConfigureAwait(false);
        int? label = await db.Labels.Where(l => l.PoolId == run.PoolId && l.ItemId == itemId).Select(l => (int?)l.Label).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        int? rank = await db.Selections.Where(s => s.RunId == runId && s.ItemId == itemId).Select(s => (int?)s.Rank).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        string thumbnail = $"{http.Request.PathBase}/api/v1/pools/{Uri.EscapeDataString(pool)}/thumbnails/{string.Join('/', itemId.Split('/').Select(Uri.EscapeDataString))}";
        return TypedResults.Ok(new ItemDetailResponse(
            itemId,
            runId,
            pool,
            item?.Uri,
            item?.Source,
            item?.CapturedAt,
            label,
            rank,
            scores,
            error is null ? null : new ItemErrorResponse(error.Reason, error.Detail, error.At),
            thumbnail));
    }

    private static async Task<IResult> ThumbnailAsync(string pool, string itemId, [FromQuery] string? size, SisomDbContext db, ThumbnailCache thumbnails, HttpContext http, CancellationToken cancellationToken)
    {
        itemId = ItemIdFromRoute(itemId);
        if (!ApiQuery.TryInt(size, "size", 16, ThumbnailReader.MaxSize, ThumbnailReader.DefaultSize, out int edge, out IResult? problem))
        {
            return problem!;
        }

        Pool? found = await db.Pools.AsNoTracking().SingleOrDefaultAsync(p => p.Name == pool, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return ApiProblems.NotFound($"No pool named '{pool}'.");
        }

        Item? item = await db.Items.AsNoTracking().SingleOrDefaultAsync(i => i.PoolId == found.Id && i.ItemId == itemId, cancellationToken).ConfigureAwait(false);
        if (item is null)
        {
            return ApiProblems.NotFound($"Pool '{pool}' has no item '{itemId}'.");
        }

        ThumbnailResult result = await thumbnails.GetAsync(found, item, edge, cancellationToken).ConfigureAwait(false);
        if (result.Busy)
        {
            http.Response.Headers.RetryAfter = ThumbnailRetryAfterSeconds;
            return TypedResults.Problem(title: "Busy", detail: result.Problem, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        return result.Bytes is { } png
            ? TypedResults.File(png, "image/png")
            : TypedResults.Problem(title: "No thumbnail", detail: result.Problem, statusCode: StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> SimilarAsync(Guid runId, string itemId, [FromQuery] string? k, SisomDbContext db, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        itemId = ItemIdFromRoute(itemId);
        if (!ApiQuery.TryInt(k, "k", 1, MaxNeighbours, 10, out int count, out IResult? problem))
        {
            return problem!;
        }

        Run? run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        if (!await db.ItemScores.AnyAsync(s => s.RunId == runId && s.ItemId == itemId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"Run {runId} scored no item '{itemId}'.");
        }

        Vector? query = await SimilaritySearch.EmbeddingAsync(dataSource, runId, itemId, cancellationToken).ConfigureAwait(false);
        if (query is null)
        {
            return ApiProblems.Conflict($"Run {runId} stored no embeddings (start the run with store_embeddings: true).");
        }

        List<SimilarItemResponse> neighbours = await SimilaritySearch.NearestAsync(dataSource, runId, query, itemId, count, cancellationToken).ConfigureAwait(false);
        bool indexed = await SimilaritySearch.IndexValidAsync(dataSource, runId, cancellationToken).ConfigureAwait(false) == true;
        return TypedResults.Ok(new SimilarItemsResponse(itemId, query.ToArray().Length, indexed, neighbours));
    }

    private static async Task<IResult> CreateIndexAsync(Guid runId, SisomDbContext db, NpgsqlDataSource dataSource, HttpContext http, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        int? dimensions = await SimilaritySearch.DimensionsAsync(dataSource, runId, cancellationToken).ConfigureAwait(false);
        if (dimensions is not { } d)
        {
            return ApiProblems.Conflict($"Run {runId} stored no embeddings (start the run with store_embeddings: true).");
        }

        if (d > SimilaritySearch.MaxHalfvecIndexDimensions)
        {
            return ApiProblems.Conflict($"Run {runId} has {d}-dimensional embeddings; pgvector indexes at most {SimilaritySearch.MaxHalfvecIndexDimensions}.");
        }

        bool created = await SimilaritySearch.EnsureIndexAsync(dataSource, runId, d, cancellationToken).ConfigureAwait(false);
        var body = new SimilarityIndexResponse(SimilaritySearch.IndexName(runId), d, SimilaritySearch.CastType(d), created);
        return created ? TypedResults.Created($"{http.Request.PathBase}/api/v1/runs/{runId}/similarity-index", body) : TypedResults.Ok(body);
    }
}
