using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Api.Exports;

/// <summary>
/// A run's selection joined with its items (uri, source) and the run's class names (<see cref="ClassNameResolver"/>), read
/// in rank order as the exports write it; one query, streamed.
/// </summary>
internal sealed class SelectionSource
{
    private readonly SisomDbContext _db;
    private readonly Guid _runId;
    private readonly Guid _poolId;
    private readonly string _thumbnails;
    private readonly Dictionary<int, string> _classNames;

    private SelectionSource(SisomDbContext db, Guid runId, Guid poolId, string thumbnails, Dictionary<int, string> classNames, string model, string modelVersion)
    {
        _db = db;
        _runId = runId;
        _poolId = poolId;
        _thumbnails = thumbnails;
        _classNames = classNames;
        Model = model;
        ModelVersion = modelVersion;
    }

    public string Model { get; }

    public string ModelVersion { get; }

    /// <returns>Null when there is no such run.</returns>
    public static async Task<SelectionSource?> LoadAsync(SisomDbContext db, ModelRegistry models, Guid runId, string baseUrl, CancellationToken cancellationToken)
    {
        Run? run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return null;
        }

        string pool = await db.Pools.Where(p => p.Id == run.PoolId).Select(p => p.Name).FirstAsync(cancellationToken).ConfigureAwait(false);

        // The same names as GET /runs/{id}/classes: the manifest's for the model's own head, the labels' for a fitted one.
        (_, IReadOnlyList<string?> names) = await ClassNameResolver.ForRunAsync(db, models, run, cancellationToken).ConfigureAwait(false);
        string thumbnails = $"{baseUrl}/{SisomApiClient.RoutePrefix}pools/{Uri.EscapeDataString(pool)}/thumbnails/";
        Dictionary<int, string> named = Enumerable.Range(0, names.Count).Where(i => names[i] is not null).ToDictionary(i => i, i => names[i]!);
        return new SelectionSource(db, runId, run.PoolId, thumbnails, named, run.ModelName, run.ModelVersion);
    }

    public async IAsyncEnumerable<SelectionExportRow> RowsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = from s in _db.Selections.AsNoTracking()
                   where s.RunId == _runId
                   join i in _db.Items.AsNoTracking().Where(i => i.PoolId == _poolId) on s.ItemId equals i.ItemId into items
                   from i in items.DefaultIfEmpty()
                   orderby s.Rank
                   select new { s.Rank, s.ItemId, s.Score, s.OriginalScore, s.Predicted, s.Reason, Uri = i == null ? null : i.Uri, Source = i == null ? null : i.Source };
        await foreach (var row in rows.AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new SelectionExportRow(row.Rank, row.ItemId, ImageUrl(row.ItemId, row.Uri), row.Score, row.OriginalScore, row.Predicted, ClassName(row.Predicted), row.Reason, row.Source);
        }
    }

    public string ClassName(int index) => _classNames.TryGetValue(index, out string? name) ? name : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// An item stored as one object (<c>s3://bucket/key</c>, no tar member) is its own URL, which Label Studio's S3 storage
    /// resolves; any other item (a file on the server's disk, a tar member, an embedding row) is the API's thumbnail.
    /// </summary>
    private string ImageUrl(string itemId, string? uri) =>
        uri is not null && uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) && !uri.Contains('#', StringComparison.Ordinal)
            ? uri
            : _thumbnails + SisomApiClient.ItemPath(itemId) + "?size=" + SelectionExports.ImageSize.ToString(CultureInfo.InvariantCulture);
}
