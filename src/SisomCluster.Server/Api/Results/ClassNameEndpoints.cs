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
/// (<c>class_names</c>); a head fitted on the labels takes the names the labels were imported with (<c>?class_names=</c>):
/// <see cref="ClassNameResolver"/>, the same names the selection exports write.
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

        (string source, IReadOnlyList<string?> names) = await ClassNameResolver.ForRunAsync(db, models, run, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new RunClassesResponse(source, names));
    }
}
