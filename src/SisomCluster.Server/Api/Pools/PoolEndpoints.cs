using System.Text;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Server.Api.Paging;

namespace SisomCluster.Server.Api.Pools;

/// <summary><c>/api/v1/pools</c>: list and read pools, import labels (the <c>sisom labels import</c> of the API).</summary>
internal static class PoolEndpoints
{
    /// <summary>Problems listed in a label import's 400 answer (the count says how many there were).</summary>
    public const int ListedProblems = 100;

    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder pools = api.MapGroup("/pools").WithTags("pools");
        pools.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read).WithSummary("Pools by name, paged.");
        pools.MapGet("/{pool}", GetAsync).RequireAuthorization(ApiScopes.Read).WithSummary("One pool with its item and label counts.");
        pools.MapPost("/{pool}/labels", ImportLabelsAsync).RequireAuthorization(ApiScopes.Write)
            .Accepts<string>("text/csv")
            .WithMetadata(new RequestBodyLimit.LabelsUpload())
            .WithSummary("Import labels (id,label lines) all or nothing; every problem is listed with its line number.");
    }

    private static async Task<IResult> ListAsync(
        SisomDbContext db,
        [FromQuery(Name = "page_size")] string? pageSize,
        [FromQuery(Name = "page_token")] string? pageToken,
        CancellationToken cancellationToken)
    {
        if (!PageRequest.TryParse(pageSize, pageToken, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        IQueryable<Data.Pools.Pool> query = db.Pools.AsNoTracking();
        if (page.After is { } after)
        {
            query = query.Where(p => string.Compare(p.Name, after) > 0);
        }

        List<PoolResponse> rows = await Project(db, query.OrderBy(p => p.Name).Take(page.Size + 1)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(page.ToPage(rows, p => p.Name));
    }

    private static async Task<IResult> GetAsync(string pool, SisomDbContext db, CancellationToken cancellationToken)
    {
        PoolResponse? found = await Project(db, db.Pools.AsNoTracking().Where(p => p.Name == pool)).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return found is null ? ApiProblems.NotFound($"No pool named '{pool}'.") : TypedResults.Ok(found);
    }

    private static async Task<IResult> ImportLabelsAsync(
        string pool,
        [FromQuery(Name = "class_names")] string? classNames,
        HttpContext http,
        SisomDbContext db,
        LabelImporter importer,
        CancellationToken cancellationToken)
    {
        if (http.Request.ContentType is { } type && !type.StartsWith("text/", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(title: "Unsupported media type", detail: $"Content-Type: send the label file as text/csv, not {type}.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        Guid poolId = await db.Pools.Where(p => p.Name == pool).Select(p => p.Id).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (poolId == Guid.Empty)
        {
            return ApiProblems.NotFound($"No pool named '{pool}'.");
        }

        string[]? names = string.IsNullOrWhiteSpace(classNames) ? null : classNames.Split(',', StringSplitOptions.TrimEntries);
        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        try
        {
            LabelImportResult result = await importer.ImportAsync(poolId, reader, names, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new LabelImportResponse(result.ImportId, result.Added, result.Unchanged, result.Changed));
        }
        catch (LabelImportException e)
        {
            return TypedResults.Problem(
                title: "The label file has problems; nothing was imported",
                detail: $"{e.Problems.Count} problem(s); first: {e.Problems[0]}",
                statusCode: StatusCodes.Status400BadRequest,
                extensions: new Dictionary<string, object?>
                {
                    ["problem_count"] = e.Problems.Count,
                    ["problems"] = e.Problems.Take(ListedProblems).Select(p => new LabelProblemResponse(p.Line, p.Kind.ToString().ToLowerInvariant(), p.Message)).ToList(),
                });
        }
    }

    private static IQueryable<PoolResponse> Project(SisomDbContext db, IQueryable<Data.Pools.Pool> pools) =>
        pools.Select(p => new PoolResponse(p.Id, p.Name, p.SourceKind, p.SourceUri, p.ItemCount, db.Labels.Count(l => l.PoolId == p.Id), p.CreatedAt));
}
