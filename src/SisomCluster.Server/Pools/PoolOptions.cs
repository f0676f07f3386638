namespace SisomCluster.Server.Pools;

/// <summary>Where pools may live (<c>Pools__AllowedRoots__0</c>, <c>Pools__AllowedRoots__1</c>, …).</summary>
public sealed class PoolOptions
{
    public const string SectionName = "Pools";

    /// <summary>
    /// Folders pools may be registered in and read from, compared as real paths (symbolic links resolved). Empty (the
    /// default, meant for development and the local demo): any path the process can read. A deployment sets it to the
    /// mounted pool volume (Helm <c>pools.allowedRoots</c>): then a source outside is refused at registration (422),
    /// a run of a pool registered outside before the setting changed fails at launch, thumbnails of it are refused, and
    /// a manifest's items must lie in its own folder or in a root.
    /// </summary>
    public IList<string> AllowedRoots { get; } = [];
}
