using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Rounds;
using SisomCluster.Server.Api.Paging;
using SisomCluster.Server.Api.Pools;
using SisomCluster.Server.Rounds;
using SisomCluster.Server.Runs;

namespace SisomCluster.Server.Api.Rounds;

/// <summary>
/// <c>/api/v1/rounds</c>: an active-learning round in one call (labels → run → thresholds and selection → exports),
/// idempotent per round id (<see cref="RoundStarter"/>), and its state as the aggregator moves it on.
/// </summary>
internal static class RoundEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder rounds = api.MapGroup("/rounds").WithTags("rounds");
        rounds.MapPost("/", StartAsync).RequireAuthorization(ApiScopes.Write)
            .WithMetadata(new RequestBodyLimit.LabelsUpload())
            .WithSummary("Start a round: import its labels (all or nothing) and start a run on the pool; the same round id again returns the round and changes nothing (409 with other labels), unless it failed: then the same request starts a new attempt (a new run).");
        rounds.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read).WithSummary("Rounds, newest first, paged; filter by pool.");
        rounds.MapGet("/{roundId}", GetAsync).RequireAuthorization(ApiScopes.Read).WithSummary("A round's state, run and label import counts. A read writes nothing: a running round whose run has ended shows the state the aggregator's sweep will write (completed or failed).");
    }

    private static async Task<IResult> StartAsync(StartRoundRequest body, RoundStarter starter, RunCreator runs, HttpContext http, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return ApiProblems.BadRequest("body", "send a JSON object with pool, labels and budget.");
        }

        if (body.Validate() is { } invalid)
        {
            return TypedResults.Problem(title: "Invalid request", detail: invalid, statusCode: StatusCodes.Status400BadRequest);
        }

        string model = body.Model ?? StartRunRequest.DefaultModel;
        if (runs.ModelProblem(model) is { } problem)
        {
            return ApiProblems.BadRequest("model", problem);
        }

        string roundId = body.RoundId ?? "round-" + Guid.CreateVersion7().ToString("N");

        // A round re-scores the newest completed run's stored embeddings of this pool and model when there is one (no
        // backbone pass for the items it holds); its run's embeddings_from names it, or is null.
        var run = new RunRequest(body.Pool!, model, body.Budget!.Value, body.Quantile ?? StartRunRequest.DefaultQuantile, StoreEmbeddings: false, body.ShardSize, body.AsRunRequest().OodScoreOrDefault(), Knn: body.Knn ?? true, EmbeddingsFrom: StartRunRequest.AutoEmbeddings);
        RoundStart start;
        try
        {
            start = await starter.StartAsync(roundId, body.Pool!, body.Labels!, body.ClassNames, run, cancellationToken).ConfigureAwait(false);
        }
        catch (LabelImportException e)
        {
            return PoolEndpoints.LabelProblems(e);
        }
        catch (RoundConflictException e)
        {
            return ApiProblems.Conflict(e.Message);
        }
        catch (ArgumentException e) when (e.Message.StartsWith("pool:", StringComparison.Ordinal))
        {
            return TypedResults.Problem(title: "Invalid request", detail: e.Message, statusCode: StatusCodes.Status400BadRequest);
        }

        RoundResponse response = ToResponse(start.Round, body.Pool) with { Existing = !start.Created };
        return start.Created
            ? TypedResults.Created($"{http.Request.PathBase}/api/v1/rounds/{Uri.EscapeDataString(roundId)}", response)
            : TypedResults.Ok(response);
    }

    private static async Task<IResult> GetAsync(string roundId, SisomDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        // A read does not write: it reports the state the aggregator's next sweep writes (a running round whose run has
        // ended shows as completed or failed), so a client waiting on a round does not wait for the sweep.
        Round? round = await RoundProgress.ReadAsync(db, time.GetUtcNow(), roundId, cancellationToken).ConfigureAwait(false);
        if (round is null)
        {
            return ApiProblems.NotFound($"No round '{roundId}'.");
        }

        string? pool = await db.Pools.Where(p => p.Id == round.PoolId).Select(p => p.Name).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(ToResponse(round, pool));
    }

    private static async Task<IResult> ListAsync(
        SisomDbContext db,
        [FromQuery] string? pool,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        IQueryable<Round> query = db.Rounds.AsNoTracking();
        if (page.After is { } after)
        {
            string[] parts = after.Split('|', 2);
            if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) || ticks > DateTimeOffset.MaxValue.UtcTicks)
            {
                return PageRequest.InvalidToken();
            }

            var afterTime = new DateTimeOffset(ticks, TimeSpan.Zero);
            string afterId = parts[1];
            query = query.Where(r => r.CreatedAt < afterTime || (r.CreatedAt == afterTime && string.Compare(r.Id, afterId) < 0));
        }

        if (!string.IsNullOrEmpty(pool))
        {
            query = query.Where(r => db.Pools.Any(p => p.Id == r.PoolId && p.Name == pool));
        }

        var rows = await query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(page.Size + 1)
            .Select(r => new { Round = r, Pool = db.Pools.Where(p => p.Id == r.PoolId).Select(p => p.Name).FirstOrDefault() })
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        List<RoundResponse> items = [.. rows.Select(r => ToResponse(r.Round, r.Pool))];
        return TypedResults.Ok(page.ToPage(items, r => $"{r.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{r.Id}"));
    }

    private static RoundResponse ToResponse(Round r, string? pool) =>
        new(r.Id, pool, r.State.ToString().ToLowerInvariant(), r.RunId, r.LabelsSha256, r.LabelsAdded, r.LabelsUnchanged, r.Budget, r.Selected, r.Error, r.CreatedAt, r.UpdatedAt, r.CompletedAt, Attempt: r.Attempt);
}
