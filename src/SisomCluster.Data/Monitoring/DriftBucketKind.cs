namespace SisomCluster.Data.Monitoring;

/// <summary>Stored as lower-case text (<c>drift_points.bucket_kind</c>).</summary>
public enum DriftBucketKind
{
    /// <summary>Items grouped by the hour they were captured (bucket = ISO-8601 hour, UTC).</summary>
    Hour,

    /// <summary>Items grouped by their source (site, crawl batch).</summary>
    Source,
}
