using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Api.Results;

/// <summary>
/// <c>GET /api/v1/runs/{id}/classes</c>: the names of the run's classes, so that clients (the dashboard) show
/// "Sandal" rather than "class 5". A run whose context uses the model's own head takes the names from the model manifest
/// (<c>class_names</c>); a head fitted on the labels takes the names the labels were imported with (<c>?class_names=</c>).
/// </summary>
internal static class ClassNameEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/runs/{runId:guid}/classes", ClassesAsync).WithTags("results").RequireAuthorization(ApiScopes.Read)
            .WithSummary("The names of the run's classes by index: from the model manifest (the model's own head) or from the pool's label import.");
    }

    private static async Task<IResult> ClassesAsync(Guid runId, SisomDbContext db, ModelRegistry models, CancellationToken cancellationToken)
    {
        Run? run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        var context = run.ContextId is { } contextId
            ? await db.ScoringContexts.AsNoTracking().Where(c => c.Id == contextId).Select(c => new { c.ClassCount, OwnHead = c.HeadWeights == null }).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false)
            : null;

        IReadOnlyList<string>? fromManifest = null;
        if (context is null || context.OwnHead)
        {
            try
            {
                fromManifest = models.ClassNames(run.ModelName);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
            {
                // The model left the registry or its manifest is unreadable: the labels may still name the classes.
            }
        }

        if (fromManifest is not null)
        {
            int k = context?.ClassCount ?? fromManifest.Count;
            return TypedResults.Ok(new RunClassesResponse("manifest", [.. Enumerable.Range(0, k).Select(i => i < fromManifest.Count ? fromManifest[i] : null)]));
        }

        // One name per label index (an import gives each index one name; min() picks one should two imports disagree).
        Dictionary<int, string> fromLabels = await db.Labels.AsNoTracking()
            .Where(l => l.PoolId == run.PoolId && l.LabelName != null)
            .GroupBy(l => l.Label)
            .Select(g => new { g.Key, Name = g.Min(l => l.LabelName)! })
            .ToDictionaryAsync(g => g.Key, g => g.Name, cancellationToken).ConfigureAwait(false);
        int count = context?.ClassCount ?? (fromLabels.Count == 0 ? 0 : fromLabels.Keys.Max() + 1);
        return TypedResults.Ok(new RunClassesResponse(
            fromLabels.Count == 0 ? "none" : "labels",
            [.. Enumerable.Range(0, count).Select(i => fromLabels.TryGetValue(i, out string? name) ? name : null)]));
    }
}
