namespace SisomCluster.Inference.Sources;

/// <summary>An s3:// prefix as an <see cref="IShardStore"/>: the objects directly under it.</summary>
internal sealed class S3ShardStore(S3Store store, S3Uri folder) : IShardStore
{
    private readonly S3Uri _folder = folder.AsFolder();

    public string Location => _folder.ToString();

    public Task<IReadOnlyList<StoredObject>> ListAsync(CancellationToken cancellationToken) => store.ListAsync(_folder, cancellationToken);

    public Task<Stream> OpenAsync(StoredObject stored, CancellationToken cancellationToken) => Task.FromResult(store.OpenRead(_folder.Child(stored.Name), stored));

    /// <summary>Starts fetching <paramref name="stored"/> ahead of its <see cref="OpenAsync"/> (<see cref="S3Store.Prefetch"/>).</summary>
    public void Prefetch(StoredObject stored) => store.Prefetch(_folder.Child(stored.Name), stored);

    public Task<StoredObject> StatAsync(string name, CancellationToken cancellationToken) => store.HeadAsync(_folder.Child(name), cancellationToken);

    public string UriOf(string name) => _folder.Child(name).ToString();

    public string? NameOf(string uri)
    {
        if (!S3Uri.IsS3(uri))
        {
            return null;
        }

        S3Uri parsed;
        try
        {
            parsed = S3Uri.Parse(uri);
        }
        catch (ArgumentException)
        {
            return null;
        }

        string name = parsed.Key.Length > _folder.Key.Length ? parsed.Key[_folder.Key.Length..] : "";
        return parsed.Bucket == _folder.Bucket && parsed.Key.StartsWith(_folder.Key, StringComparison.Ordinal) && name.Length > 0 && !name.Contains('/', StringComparison.Ordinal)
            ? name
            : null;
    }
}
