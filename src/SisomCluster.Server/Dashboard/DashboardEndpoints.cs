using System.Reflection;

namespace SisomCluster.Server.Dashboard;

/// <summary>
/// The dashboard (served by the api role; no separate build): a static page with plain JavaScript and SVG at
/// <c>/</c>. The page is public and holds no data; everything it draws it reads from the public API under
/// <c>/api/v1</c> with the caller's key (runs with progress, histograms, drift series, selection, thumbnails).
/// </summary>
public static class DashboardEndpoints
{
    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["index.html"] = ("SisomCluster.Server.Dashboard.Assets.index.html", "text/html; charset=utf-8"),
        ["dashboard.js"] = ("SisomCluster.Server.Dashboard.Assets.dashboard.js", "text/javascript; charset=utf-8"),
        ["dashboard.css"] = ("SisomCluster.Server.Dashboard.Assets.dashboard.css", "text/css; charset=utf-8"),
    };

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard", () => Asset("index.html")).ExcludeFromDescription();
        app.MapGet("/dashboard/{file}", (string file) => Assets.ContainsKey(file) ? Asset(file) : Results.NotFound()).ExcludeFromDescription();
        return app;
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
