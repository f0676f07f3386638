using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Results;

namespace SisomCluster.Data.Monitoring;

/// <summary>
/// What the aggregator stored for a finished run — its selection, thresholds and drift points — read in display order.
/// Shared by the CLI and the REST API so both show the same rows.
/// </summary>
public static class RunReports
{
    /// <summary>The run's selection for labeling, rank 1 first.</summary>
    public static async Task<IReadOnlyList<Selection>> SelectionAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Selections.AsNoTracking().Where(s => s.RunId == runId).OrderBy(s => s.Rank).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The thresholds recorded with the run, by score kind (newest first within a kind).</summary>
    public static async Task<IReadOnlyList<Threshold>> ThresholdsAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        return await db.Thresholds.AsNoTracking()
            .Where(t => t.RunId == runId)
            .OrderBy(t => t.ScoreKind).ThenByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The run's OOD rate per bucket, of one kind or both, by kind then bucket (hours sort in time order).</summary>
    public static async Task<IReadOnlyList<DriftPoint>> DriftAsync(SisomDbContext db, Guid runId, DriftBucketKind? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        IQueryable<DriftPoint> points = db.DriftPoints.AsNoTracking().Where(p => p.RunId == runId);
        if (kind is { } k)
        {
            points = points.Where(p => p.BucketKind == k);
        }

        // Ordered here rather than in SQL: bucket_kind is stored as text, and the enum's order (hour, source) is the display order.
        List<DriftPoint> list = await points.ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. list.OrderBy(p => p.BucketKind).ThenBy(p => p.Bucket, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Whether a bucket's OOD rate differs from the 1 − q expected of in-distribution data: the expected rate lies outside
    /// the bucket's 95 % Wilson interval (SISOM.md §8.2).
    /// </summary>
    public static bool IsDrift(DriftPoint point, double quantile)
    {
        ArgumentNullException.ThrowIfNull(point);
        double expected = 1 - quantile;
        return point.Scored > 0 && (expected < point.Lower || expected > point.Upper);
    }
}
