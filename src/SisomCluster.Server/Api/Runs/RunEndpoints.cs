using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Api.Paging;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Runs;

namespace SisomCluster.Server.Api.Runs;

/// <summary><c>/api/v1/runs</c>: start (a pending row the coordinator launches), status with shard progress, cancel.</summary>
internal static class RunEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder runs = api.MapGroup("/runs").WithTags("runs");
        runs.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read).WithSummary("Runs with their progress, newest first, paged; filter by pool, state and id prefix.");
        runs.MapPost("/", StartAsync).RequireAuthorization(ApiScopes.Write).WithSummary("Start a run: the coordinator launches it.");
        runs.MapGet("/{runId:guid}", GetAsync).RequireAuthorization(ApiScopes.Read).WithSummary("A run's state and shard progress.");
        runs.MapPost("/{runId:guid}/cancel", CancelAsync).RequireAuthorization(ApiScopes.Write).WithSummary("Cancel a pending or running run; scores already committed stay.");
    }

    private static async Task<IResult> ListAsync(
        SisomDbContext db,
        ParkedMessageWatch parked,
        [FromQuery] string? pool,
        [FromQuery] string? state,
        [FromQuery(Name = "id_prefix")] string? idPrefix,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        IQueryable<Run> query = db.Runs.AsNoTracking();
        if (page.After is { } after)
        {
            string[] parts = after.Split('|');
            if (parts.Length != 2
                || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
                || ticks > DateTimeOffset.MaxValue.UtcTicks
                || !Guid.TryParse(parts[1], out Guid afterId))
            {
                return PageRequest.InvalidToken();
            }

            // Keyset on (created_at, id) in PostgreSQL's own order, so ties on created_at page exactly.
            var afterTime = new DateTimeOffset(ticks, TimeSpan.Zero);
            query = db.Runs.FromSql($"SELECT * FROM runs WHERE (created_at, id) < ({afterTime}, {afterId})").AsNoTracking();
        }

        if (!string.IsNullOrEmpty(pool))
        {
            query = query.Where(r => db.Pools.Any(p => p.Id == r.PoolId && p.Name == pool));
        }

        if (!string.IsNullOrEmpty(idPrefix))
        {
            string prefix = idPrefix.Trim().ToLowerInvariant();
            if (!RunIds.IsCanonicalPrefix(prefix))
            {
                return ApiProblems.BadRequest("id_prefix", "give the first hex digits of a run id (dashes where the id has them).");
            }

            // A Guid's text is lower-case 8-4-4-4-12 in PostgreSQL as in .NET; the prefix holds only hex digits and dashes.
            query = query.Where(r => EF.Functions.Like(r.Id.ToString(), prefix + "%"));
        }

        if (!string.IsNullOrEmpty(state))
        {
            if (!Enum.TryParse(state, ignoreCase: true, out RunState wanted) || int.TryParse(state, CultureInfo.InvariantCulture, out _))
            {
                return ApiProblems.BadRequest("state", $"unknown state '{state}'; use {string.Join(", ", Enum.GetNames<RunState>().Select(n => n.ToLowerInvariant()))}.");
            }

            query = query.Where(r => r.State == wanted);
        }

        List<Run> rows = await query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(page.Size + 1).ToListAsync(cancellationToken).ConfigureAwait(false);
        Dictionary<Guid, string> names = await PoolNamesAsync(db, rows, cancellationToken).ConfigureAwait(false);
        Dictionary<Guid, RunProgress> progress = await RunProgress.LoadManyAsync(db, [.. rows.Select(r => r.Id)], cancellationToken).ConfigureAwait(false);
        List<RunResponse> items = [.. rows.Select(r => RunMapping.ToResponse(r, names.GetValueOrDefault(r.PoolId), progress[r.Id], parked.Latest))];
        return TypedResults.Ok(page.ToPage(items, r => $"{r.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{r.Id}"));
    }

    private static async Task<IResult> StartAsync(StartRunRequest body, RunCreator creator, SisomDbContext db, HttpContext http, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return ApiProblems.BadRequest("body", "send a JSON object with pool, model and budget.");
        }

        string? error = body.Validate();
        if (error is not null)
        {
            return TypedResults.Problem(title: "Invalid request", detail: error, statusCode: StatusCodes.Status400BadRequest);
        }

        if (creator.ModelProblem(body.Model ?? StartRunRequest.DefaultModel) is { } model)
        {
            return ApiProblems.BadRequest("model", model);
        }

        if (!await db.Pools.AnyAsync(p => p.Name == body.Pool, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.BadRequest("pool", $"no pool named '{body.Pool}'.");
        }

        Guid id;
        try
        {
            id = await creator.CreateAsync(
                new RunRequest(body.Pool!, body.Model ?? StartRunRequest.DefaultModel, body.Budget!.Value, body.Quantile ?? StartRunRequest.DefaultQuantile, body.StoreEmbeddings ?? false, body.ShardSize, body.OodScoreOrDefault(), body.Incremental ?? false, Knn: body.Knn ?? true, EmbeddingsFrom: body.EmbeddingsFrom),
                cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("embeddings_from:", StringComparison.Ordinal))
        {
            return TypedResults.Problem(title: "Invalid request", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        RunResponse run = (await LoadAsync(db, id, cancellationToken).ConfigureAwait(false))!;
        return TypedResults.Created($"{http.Request.PathBase}/api/v1/runs/{id}", run);
    }

    private static async Task<IResult> GetAsync(Guid runId, SisomDbContext db, ParkedMessageWatch parked, CancellationToken cancellationToken)
    {
        RunResponse? run = await LoadAsync(db, runId, cancellationToken, parked.Latest).ConfigureAwait(false);
        return run is null ? ApiProblems.NotFound($"No run {runId}.") : TypedResults.Ok(run);
    }

    private static async Task<IResult> CancelAsync(Guid runId, SisomDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        RunCancelResult result = await RunCancellation.CancelAsync(db, runId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        db.ChangeTracker.Clear();
        return result.Status switch
        {
            RunCancelStatus.NotFound => ApiProblems.NotFound($"No run {runId}."),
            RunCancelStatus.Finished => ApiProblems.Conflict($"Run {runId} is {result.State.ToString()!.ToLowerInvariant()}: only pending or running runs can be cancelled."),
            _ => TypedResults.Ok(await LoadAsync(db, runId, cancellationToken).ConfigureAwait(false)),
        };
    }

    private static async Task<RunResponse?> LoadAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken, ParkedMessageCounts? parked = null)
    {
        Run? run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return null;
        }

        string? pool = await db.Pools.Where(p => p.Id == run.PoolId).Select(p => p.Name).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        RunProgress progress = await RunProgress.LoadAsync(db, runId, cancellationToken).ConfigureAwait(false);
        return RunMapping.ToResponse(run, pool, progress, parked);
    }

    private static async Task<Dictionary<Guid, string>> PoolNamesAsync(SisomDbContext db, List<Run> runs, CancellationToken cancellationToken)
    {
        List<Guid> ids = [.. runs.Select(r => r.PoolId).Distinct()];
        return await db.Pools.AsNoTracking().Where(p => ids.Contains(p.Id)).ToDictionaryAsync(p => p.Id, p => p.Name, cancellationToken).ConfigureAwait(false);
    }
}
