using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Pools;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;
using SisomCluster.Server.Api.Paging;
using SisomCluster.Server.Models;
using SisomCluster.Server.Pools;

namespace SisomCluster.Server.Api.Pools;

/// <summary><c>/api/v1/pools</c>: register, list and read pools, import labels (the <c>sisom labels import</c> of the API).</summary>
internal static class PoolEndpoints
{
    /// <summary>Problems listed in a label import's 400 answer (the count says how many there were).</summary>
    public const int ListedProblems = 100;

    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder pools = api.MapGroup("/pools").WithTags("pools");
        pools.MapGet("/", ListAsync).RequireAuthorization(ApiScopes.Read).WithSummary("Pools by name, paged.");
        pools.MapPost("/", RegisterAsync).RequireAuthorization(ApiScopes.Write)
            .WithSummary("Register a pool: the server lists its source (a path it can read) and records its items; duplicate ids are kept once.");
        pools.MapGet("/{pool}", GetAsync).RequireAuthorization(ApiScopes.Read).WithSummary("One pool with its item and label counts.");
        pools.MapPost("/{pool}/labels", ImportLabelsAsync).RequireAuthorization(ApiScopes.Write)
            .Accepts<string>("text/csv")
            .WithMetadata(new RequestBodyLimit.LabelsUpload())
            .WithSummary("Import labels (id,label lines) all or nothing; every problem is listed with its line number. A label is a class index, or a name of ?class_names=, else of the model manifest's class_names (?model=, default: the pool's newest run's model).");
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

    private static async Task<IResult> RegisterAsync(RegisterPoolRequest body, PoolAccess pools, SisomDbContext db, NpgsqlDataSource dataSource, TimeProvider time, HttpContext http, CancellationToken cancellationToken)
    {
        if (body is null)
        {
            return ApiProblems.BadRequest("body", "send a JSON object with name and source.");
        }

        if (body.Validate() is { } invalid)
        {
            return TypedResults.Problem(title: "Invalid request", detail: invalid, statusCode: StatusCodes.Status400BadRequest);
        }

        string? kind = null;
        if (!string.IsNullOrEmpty(body.Kind))
        {
            if (!PoolSources.IsKind(body.Kind))
            {
                return ApiProblems.BadRequest("kind", $"unknown source kind '{body.Kind}'; use {string.Join(", ", PoolSources.Kinds)}, or leave it out to detect it.");
            }

            kind = body.Kind.ToLowerInvariant();
        }

        // The source is read by the server and its workers, never by the client: a path on their file system, or an s3:// folder.
        string source = body.Source!.Trim();
        if (S3Uri.IsS3(source))
        {
            try
            {
                S3Uri.Parse(source);
            }
            catch (ArgumentException e)
            {
                return ApiProblems.BadRequest("source", e.Message);
            }
        }
        else if (!Path.IsPathFullyQualified(source))
        {
            return ApiProblems.BadRequest("source", $"give an absolute path as the server sees it, or an s3://bucket/prefix, not '{source}'.");
        }

        // Confinement first, on the real path, before anything is looked up: outside answers the same whether it exists or not.
        if (!pools.Allows(source))
        {
            return OutsideRoots();
        }

        if (!PoolSources.Exists(kind, source))
        {
            return ApiProblems.BadRequest("source", $"the server finds no file or directory '{source}'.");
        }

        string name = body.Name!.Trim();
        if (await db.Pools.AnyAsync(p => p.Name == name, cancellationToken).ConfigureAwait(false))
        {
            return ApiProblems.Conflict($"A pool named '{name}' exists already.");
        }

        var warnings = new List<string>();
        int warningCount = 0;
        IPoolSource pool;
        PoolListing listing;
        try
        {
            pool = kind is { } k ? pools.Open(k, source) : await pools.OpenAsync(source, cancellationToken).ConfigureAwait(false);
            listing = await Task.Run(
                () => PoolListing.CollectAsync(
                    pool.ListAsync(
                        shardSize: 4096,
                        line =>
                        {
                            warningCount++;
                            if (warnings.Count < ListedProblems)
                            {
                                warnings.Add(ServerPaths.Scrub(line, source));
                            }
                        },
                        cancellationToken),
                    cancellationToken),
                cancellationToken).ConfigureAwait(false);
        }
        catch (PoolOutsideRootsException)
        {
            return OutsideRoots();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // A listing's message may name files the client never named (a tar beside the source, a resolved link).
            return ApiProblems.BadRequest("source", ServerPaths.Scrub(e.Message, source));
        }

        var entity = new Data.Pools.Pool
        {
            Id = Guid.NewGuid(),
            Name = name,
            SourceKind = pool.Kind,
            SourceUri = pool.Uri,
            CreatedAt = time.GetUtcNow(),

            // The registry counts what it adds (item_count = item_count + added, under the pool's row lock).
            ItemCount = 0,
        };
        db.Pools.Add(entity);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return ApiProblems.Conflict($"A pool named '{name}' exists already.");
        }

        ItemAddResult added;
        try
        {
            added = await new ItemRegistry(dataSource).AddItemsAsync(
                entity.Id,
                listing.Items.Select(i => new ItemRow(i.Id, i.Uri, i.Source, i.CapturedAt)),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            // The items commit in their own transaction: without them the pool row must go too, or a retry meets a 409.
            await db.Pools.Where(p => p.Id == entity.Id).ExecuteDeleteAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        var response = new PoolRegisteredResponse(
            new PoolResponse(entity.Id, entity.Name, entity.SourceKind, entity.SourceUri, (int)added.Added, 0, entity.CreatedAt),
            listing.Shards.Count,
            listing.Duplicates.Count + (int)added.Duplicates,
            warningCount,
            warnings);
        return TypedResults.Created($"{http.Request.PathBase}/api/v1/pools/{Uri.EscapeDataString(name)}", response);
    }

    /// <summary>A source outside <c>Pools__AllowedRoots</c>: 422, naming no path (the client's own is in its request).</summary>
    private static ProblemHttpResult OutsideRoots() =>
        TypedResults.Problem(title: "Pool source not allowed", detail: $"source: {PoolOutsideRootsException.DefaultMessage}", statusCode: StatusCodes.Status422UnprocessableEntity);

    private static async Task<IResult> GetAsync(string pool, SisomDbContext db, CancellationToken cancellationToken)
    {
        PoolResponse? found = await Project(db, db.Pools.AsNoTracking().Where(p => p.Name == pool)).SingleOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return found is null ? ApiProblems.NotFound($"No pool named '{pool}'.") : TypedResults.Ok(found);
    }

    private static async Task<IResult> ImportLabelsAsync(
        string pool,
        [FromQuery(Name = "class_names")] string? classNames,
        [FromQuery(Name = "model")] string? model,
        HttpContext http,
        SisomDbContext db,
        LabelImporter importer,
        ModelRegistry models,
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

        if (model is not null && models.Problem(model) is { } problem)
        {
            return ApiProblems.BadRequest("model", problem);
        }

        string[]? names = string.IsNullOrWhiteSpace(classNames) ? null : classNames.Split(',', StringSplitOptions.TrimEntries);

        // No class names given: a label may still be a class name of the model's manifest (?model=, else the model of the
        // pool's newest run, else the default model) — the names GET /runs/{id}/classes and the exports use (ClassNameResolver).
        FallbackClassNames? fallback = null;
        if (names is null)
        {
            (string resolvedModel, IReadOnlyList<string>? manifestNames) = await ClassNameResolver.ForImportAsync(db, models, poolId, model, cancellationToken).ConfigureAwait(false);
            fallback = manifestNames is null ? null : new FallbackClassNames($"model {resolvedModel}'s manifest", manifestNames);
        }

        using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
        try
        {
            LabelImportResult result = await importer.ImportAsync(poolId, reader, names, fallback, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new LabelImportResponse(result.ImportId, result.Added, result.Unchanged, result.Changed));
        }
        catch (LabelImportException e)
        {
            return LabelProblems(e);
        }
    }

    /// <summary>The 400 of a label file with problems: the count, the first in the detail, up to <see cref="ListedProblems"/> listed.</summary>
    internal static IResult LabelProblems(LabelImportException e) =>
        TypedResults.Problem(
            title: "The label file has problems; nothing was imported",
            detail: $"{e.Problems.Count} problem(s); first: {e.Problems[0]}",
            statusCode: StatusCodes.Status400BadRequest,
            extensions: new Dictionary<string, object?>
            {
                ["problem_count"] = e.Problems.Count,
                ["problems"] = e.Problems.Take(ListedProblems).Select(p => new LabelProblemResponse(p.Line, p.Kind.ToString().ToLowerInvariant(), p.Message)).ToList(),
            });

    private static IQueryable<PoolResponse> Project(SisomDbContext db, IQueryable<Data.Pools.Pool> pools) =>
        pools.Select(p => new PoolResponse(p.Id, p.Name, p.SourceKind, p.SourceUri, p.ItemCount, db.Labels.Count(l => l.PoolId == p.Id), p.CreatedAt));
}
