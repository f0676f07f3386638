using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Data;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Dashboard;

/// <summary>
/// The dashboard (served by the api role; no separate build): a static page with plain JavaScript and SVG at
/// <c>/</c>, and its data under <c>/dashboard/data</c> — the run list with progress, one run's histograms, OOD rate
/// series and selection (<see cref="RunDashboard"/>), and thumbnails of selected items.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["index.html"] = ("SisomCluster.Server.Dashboard.Assets.index.html", "text/html; charset=utf-8"),
        ["dashboard.js"] = ("SisomCluster.Server.Dashboard.Assets.dashboard.js", "text/javascript; charset=utf-8"),
        ["dashboard.css"] = ("SisomCluster.Server.Dashboard.Assets.dashboard.css", "text/css; charset=utf-8"),
    };

    /// <returns>The data group, so the caller can put it behind the API's authorization.</returns>
    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => Assets.ContainsKey(file) ? Asset(file) : Results.NotFound()).ExcludeFromDescription();

        RouteGroupBuilder data = app.MapGroup("/dashboard/data").ExcludeFromDescription();
        data.MapGet("/runs", async (SisomDbContext db, CancellationToken token) =>
        {
            var runs = await db.Runs.AsNoTracking().OrderByDescending(r => r.CreatedAt).Take(50)
                .Select(r => new { r.Id, Pool = db.Pools.Where(p => p.Id == r.PoolId).Select(p => p.Name).FirstOrDefault(), r.State, r.CreatedAt, r.CompletedAt })
                .ToListAsync(token).ConfigureAwait(false);
            var rows = new List<object>();
            foreach (var r in runs)
            {
                RunProgress p = await RunProgress.LoadAsync(db, r.Id, token).ConfigureAwait(false);
                rows.Add(new
                {
                    r.Id,
                    r.Pool,
                    State = r.State.ToString().ToLowerInvariant(),
                    r.CreatedAt,
                    r.CompletedAt,
                    p.Items,
                    Scored = p.ItemsScored,
                    Failed = p.ItemsFailed + p.ItemsInFailedShards,
                    p.DoneShards,
                    p.TotalShards,
                });
            }

            return Results.Ok(rows);
        });
        data.MapGet("/runs/{id:guid}", async (Guid id, NpgsqlDataSource dataSource, CancellationToken token) =>
        {
            RunDashboard? run = await RunDashboard.LoadAsync(dataSource, id, cancellationToken: token).ConfigureAwait(false);
            return run is null
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such run", detail: $"Run {id} does not exist.")
                : Results.Ok(new
                {
                    run.RunId,
                    run.State,
                    run.Quantile,
                    run.Histograms,
                    run.Hourly,
                    run.Sources,
                    run.Selection,
                    ClassNames = Array.Empty<string>(),
                });
        });
        data.MapGet("/runs/{id:guid}/thumbnail", async (Guid id, string? item, ThumbnailCache thumbnails, CancellationToken token) =>
        {
            if (string.IsNullOrEmpty(item) || item.Length > 1024)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad item", detail: "Query parameter 'item' (an item id of at most 1024 characters) is required.");
            }

            byte[]? png = await thumbnails.GetAsync(id, item, token).ConfigureAwait(false);
            return png is null
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No thumbnail", detail: $"Run {id} has no scored image item '{item}'.")
                : Results.File(png, "image/png");
        });
        return data;
    }

    private static IResult Asset(string name)
    {
        (string resource, string contentType) = Assets[name];
        using Stream stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Dashboard asset {resource} is not embedded.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Results.Bytes(buffer.ToArray(), contentType);
    }
}
