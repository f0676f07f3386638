namespace SisomCluster.Inference.Sources;

/// <summary>One object (or file) of a shard store: its name within the store's folder, its size and version tag.</summary>
/// <param name="Name">The name directly under the store's folder or prefix (<c>00000.tar</c>).</param>
/// <param name="Size">Bytes, as listed; a read that ends before it is a truncated object.</param>
/// <param name="ETag">The object's entity tag (S3), null for a file: a read asks for this version, so an object replaced
/// since the listing fails its shard instead of yielding other items.</param>
public sealed record StoredObject(string Name, long Size, string? ETag);
