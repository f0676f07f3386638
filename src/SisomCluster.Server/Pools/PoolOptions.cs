namespace SisomCluster.Server.Pools;

/// <summary>Where pools may live (<c>Pools__AllowedRoots__0</c>, <c>Pools__AllowedRoots__1</c>, …) and how crawl shards are read.</summary>
public sealed class PoolOptions
{
    public const string SectionName = "Pools";

    /// <summary>
    /// Folders pools may be registered in and read from, compared as real paths (symbolic links resolved), and s3://
    /// prefixes (<c>s3://bucket/prefix</c>, or <c>s3://bucket</c> for a whole bucket). Empty (the default, meant for
    /// development and the local demo): any path the process can read and any bucket its credentials reach. A deployment
    /// sets it to the mounted pool volume and its buckets (Helm <c>pools.allowedRoots</c>): then a source outside is
    /// refused at registration (422), a run of a pool registered outside before the setting changed fails at launch,
    /// thumbnails of it are refused, and a manifest's items must lie in its own folder or in a root.
    /// </summary>
    public IList<string> AllowedRoots { get; } = [];

    /// <summary>
    /// Hosts a manifest's <c>http(s)://</c> items may be fetched from (<c>Pools__AllowedHosts__0=images.example.com</c>, or
    /// <c>host:port</c> for one port only). Empty (the default): none — such an item fails with <c>host_not_allowed</c> and
    /// nothing is fetched. The server would otherwise fetch any URL a manifest names, cluster-internal ones included
    /// (server-side request forgery); redirects are never followed for the same reason.
    /// </summary>
    public IList<string> AllowedHosts { get; } = [];

    /// <summary>Seconds to wait for an http(s) item's response, and for each next part of its body, before retrying.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3600)]
    public int HttpTimeoutSeconds { get; set; } = 30;

    /// <summary>Retries of an http(s) item after a 5xx/408/429, a timeout or a cut body (a 404 is never retried).</summary>
    [System.ComponentModel.DataAnnotations.Range(0, 20)]
    public int HttpMaxRetries { get; set; } = 3;

    /// <summary>The largest http(s) item, in MiB (at most the 64 MiB any item may have).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 64)]
    public int HttpMaxItemMegabytes { get; set; } = 64;

    /// <summary>The img2dataset parquet column an item's source comes from (an http(s) url gives its host); empty: none.</summary>
    public string Img2DatasetSourceColumn { get; set; } = "url";

    /// <summary>The img2dataset parquet column an item's capture time comes from (ISO-8601, Unix seconds, timestamp).</summary>
    public string Img2DatasetCapturedAtColumn { get; set; } = "captured_at";
}
