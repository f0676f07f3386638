namespace SisomCluster.Inference.Sources;

/// <summary>
/// The flat folder a shard pool reads from — a directory on disk or an s3:// prefix — seen the same way: the objects
/// directly in it, each opened as a forward-only stream. The img2dataset and s3 pool kinds are written against this,
/// so that a crawl reads the same from a mounted volume and from a bucket.
/// </summary>
internal interface IShardStore
{
    /// <summary>The folder as a location: an absolute path, or <c>s3://bucket/prefix/</c>.</summary>
    string Location { get; }

    /// <summary>The files or objects directly in the folder, in ordinal name order; a missing folder or bucket throws.</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Opens one object of the listing for a forward-only read (an S3 object streams through a bounded read-ahead).</summary>
    Task<Stream> OpenAsync(StoredObject stored, CancellationToken cancellationToken);

    /// <summary>The size and version of the object <paramref name="name"/> now (for a read by uri, without a listing at hand).</summary>
    Task<StoredObject> StatAsync(string name, CancellationToken cancellationToken);

    /// <summary>The full uri of object <paramref name="name"/>, as item uris store it.</summary>
    string UriOf(string name);

    /// <summary>The name of <paramref name="uri"/> when it is an object directly in this folder; null otherwise (outside the pool).</summary>
    string? NameOf(string uri);
}
