namespace SisomCluster.Data.Pools;

/// <summary>One image of a pool. The id is the pool's own (a relative path, a tar member, a URL hash): text, not a number.</summary>
public sealed class Item
{
    public Guid PoolId { get; set; }

    public required string ItemId { get; set; }

    public string? Uri { get; set; }

    /// <summary>Where the item came from (site, crawl batch, camera): the "source" bucket of drift monitoring.</summary>
    public string? Source { get; set; }

    /// <summary>When the image was taken or crawled; the "hour" bucket of drift monitoring.</summary>
    public DateTimeOffset? CapturedAt { get; set; }

    public DateTimeOffset IngestedAt { get; set; }
}
