using System.Text.Json;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Inference.Pools;

/// <summary>
/// The registry of pool source kinds: the one place that knows which kinds exist. It opens a source from the (kind, uri)
/// text a <c>pools</c> row stores, or detects the kind from what a uri names. Everything else (listing, reading, shard
/// descriptors, item uris such as <c>tar#member</c>) is the source's own business behind <see cref="IPoolSource"/>.
/// A new kind is one class implementing <see cref="IPoolSource"/> plus one line in <see cref="Registered"/>.
/// </summary>
public static class PoolSources
{
    /// <summary>
    /// In detection order: the first kind whose <c>Claims</c> accepts a uri is its kind (a folder of img2dataset shards is
    /// Img2Dataset before its tars make it Tar, a folder of tars is Tar before it is Directory, an s3:// folder without
    /// parquet files is S3).
    /// </summary>
    private static readonly Registration[] Registered =
    [
        new(Img2DatasetPoolSource.KindName, (uri, _) => Img2DatasetPoolSource.Claims(uri), Img2DatasetPoolSource.Names, (uri, _, context) => new Img2DatasetPoolSource(uri, context), Remote: true) { ClaimsAsync = Img2DatasetPoolSource.ClaimsAsync },
        new(S3TarPoolSource.KindName, (uri, _) => S3TarPoolSource.Claims(uri), S3Uri.IsS3, (uri, _, context) => new S3TarPoolSource(uri, context), Remote: true),
        new(TarPoolSource.KindName, (uri, _) => TarPoolSource.Claims(uri), TarPoolSource.Names, (uri, _, _) => new TarPoolSource(uri)),
        new(DirectoryPoolSource.KindName, (uri, _) => DirectoryPoolSource.Claims(uri), Directory.Exists, (uri, roots, _) => new DirectoryPoolSource(uri, roots)),
        new(ManifestPoolSource.KindName, (uri, _) => ManifestPoolSource.Claims(uri), File.Exists, (uri, roots, context) => new ManifestPoolSource(uri, roots, context)),
        new(EmbeddingsPoolSource.KindName, (uri, _) => EmbeddingsPoolSource.Claims(uri), File.Exists, (uri, _, _) => new EmbeddingsPoolSource(uri)),
    ];

    /// <summary>The kind names, lower case, in detection order.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [.. Registered.Select(r => r.Name)];

    /// <summary>Whether <paramref name="kind"/> names a registered kind (case-insensitive).</summary>
    public static bool IsKind(string? kind) => Find(kind) is not null;

    /// <summary>Opens <paramref name="uri"/> as a source of <paramref name="kind"/> (as stored: case-insensitive), unconfined.</summary>
    /// <exception cref="ArgumentException">An unknown kind.</exception>
    public static IPoolSource Open(string kind, string uri) => Open(kind, uri, PoolRoots.Unconfined);

    /// <summary>Opens <paramref name="uri"/> as a source of <paramref name="kind"/> confined to <paramref name="roots"/>, with the default <see cref="PoolContext"/>.</summary>
    public static IPoolSource Open(string kind, string uri, PoolRoots roots) => Open(kind, uri, roots, PoolContext.Default);

    /// <summary>
    /// Opens <paramref name="uri"/> as a source of <paramref name="kind"/> confined to <paramref name="roots"/>: its
    /// <see cref="IPoolSource.Location"/> must lie in them (as a real path), and it reads items only there.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown kind, or an s3:// uri for a kind that reads local files.</exception>
    /// <exception cref="PoolOutsideRootsException">The source lies outside the roots (the message names no path).</exception>
    public static IPoolSource Open(string kind, string uri, PoolRoots roots, PoolContext context)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(context);
        Registration registration = Find(kind)
            ?? throw new ArgumentException($"unknown source kind '{kind}'; use {string.Join(", ", Kinds)}.", nameof(kind));
        if (S3Uri.IsS3(uri) && !registration.Remote)
        {
            throw new ArgumentException($"a {registration.Name} pool reads files on the server; an s3:// uri is an {S3TarPoolSource.KindName} or {Img2DatasetPoolSource.KindName} pool.", nameof(kind));
        }

        IPoolSource source = registration.Open(uri, roots, context);
        return roots.Allows(source.Location) ? source : throw new PoolOutsideRootsException();
    }

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="Detect"/> finds.</summary>
    public static IPoolSource Open(string uri) => Open(Detect(uri), uri);

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="Detect"/> finds, confined to <paramref name="roots"/>.</summary>
    public static IPoolSource Open(string uri, PoolRoots roots) => Open(Detect(uri), uri, roots);

    /// <summary>Opens <paramref name="uri"/> as the kind <see cref="DetectAsync"/> finds, confined to <paramref name="roots"/>.</summary>
    public static async Task<IPoolSource> OpenAsync(string uri, PoolRoots roots, PoolContext context, CancellationToken cancellationToken = default) =>
        Open(await DetectAsync(uri, context, cancellationToken).ConfigureAwait(false), uri, roots, context);

    /// <summary>
    /// The path a source named <paramref name="uri"/> reads under, told without touching the file system: the folder of
    /// a tar pattern (<c>dir/shard-*.tar</c>), else the path itself (absolute). For a check before the source is opened.
    /// </summary>
    public static string LocationOf(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (S3Uri.IsS3(uri))
        {
            // The folder an s3 pool reads; an uri that is not a valid s3 location is refused when it is opened.
            return S3Uri.Parse(uri).AsFolder().ToString();
        }

        return TarPoolSource.HasWildcard(Path.GetFileName(uri))
            ? Path.GetFullPath(Path.GetDirectoryName(uri) is { Length: > 0 } folder ? folder : ".")
            : Path.GetFullPath(uri);
    }

    /// <summary>
    /// Whether <paramref name="uri"/> names something a source of <paramref name="kind"/> (or, when null, of any kind)
    /// can read: an existing file or directory, or a tar pattern whose folder exists. Registration asks this before it
    /// lists, so that a missing source is a plain "not found" (a remote kind answers for its own store).
    /// </summary>
    public static bool Exists(string? kind, string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        return string.IsNullOrEmpty(kind)
            ? Registered.Any(r => r.Exists(uri))
            : Find(kind) is { } registration && registration.Exists(uri);
    }

    /// <summary>
    /// The first registered kind that claims <paramref name="uri"/>: a directory holding <c>*.tar</c> files (top level),
    /// a wildcard file name (<c>dir/shard-*.tar</c>) or a <c>.tar</c> file is Tar; any other directory is Directory;
    /// <c>.csv</c>, <c>.jsonl</c> and <c>.ndjson</c> are Manifest; <c>.npy</c> is Embeddings (ids file: see
    /// <see cref="EmbeddingsPoolSource.FindIdsFile"/>). Anything else is an <see cref="ArgumentException"/> naming what is
    /// accepted.
    /// </summary>
    /// <exception cref="ArgumentException">An s3:// uri: telling its kind lists the folder, which <see cref="DetectAsync"/> does.</exception>
    public static string Detect(string uri)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        if (S3Uri.IsS3(uri))
        {
            throw new ArgumentException($"{uri}: the kind of an s3:// pool is told by listing it; use {nameof(DetectAsync)} with an object store.", nameof(uri));
        }

        return Registered.FirstOrDefault(r => r.Claims(uri, PoolContext.Default))?.Name ?? throw CannotTell(uri);
    }

    /// <summary>
    /// <see cref="Detect(string)"/> with <paramref name="context"/>'s object store: a directory or s3:// folder holding
    /// <c>NNNNN.parquet</c> beside <c>NNNNN.tar</c> is Img2Dataset (an s3:// folder is listed once, without blocking a
    /// thread, to tell), any other s3:// uri is S3.
    /// </summary>
    public static async Task<string> DetectAsync(string uri, PoolContext context, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uri);
        ArgumentNullException.ThrowIfNull(context);
        foreach (Registration registration in Registered)
        {
            bool claims = registration.ClaimsAsync is { } claimsAsync
                ? await claimsAsync(uri, context, cancellationToken).ConfigureAwait(false)
                : registration.Claims(uri, context);
            if (claims)
            {
                return registration.Name;
            }
        }

        throw CannotTell(uri);
    }

    private static ArgumentException CannotTell(string uri) => new(
        $"{uri}: cannot tell the pool kind; name a directory, a .tar file or pattern (dir/shard-*.tar), a .csv/.jsonl manifest, an .npy embeddings file or an s3://bucket/prefix folder.",
        nameof(uri));

    /// <summary>
    /// The item ids a shard descriptor lists, for a descriptor that lists its items (under <c>items</c>, each with an
    /// <c>id</c>: directory and manifest shards); null for one that only names a container (tar, row range), whose ids
    /// take reading it. Used to account for a failed shard's items and to skip shards without labeled items.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a JSON object.</exception>
    public static IReadOnlyList<string>? ListedItemIds(string descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        try
        {
            using var document = JsonDocument.Parse(descriptor);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException("Shard descriptor is not a JSON object.");
            }

            if (!document.RootElement.TryGetProperty("items", out JsonElement items) || items.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            return [.. items.EnumerateArray().Select(i => i.TryGetProperty("id", out JsonElement id) ? id.GetString() ?? string.Empty : string.Empty)];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Shard descriptor is not valid JSON: {e.Message}", e);
        }
    }

    private static Registration? Find(string? kind) =>
        string.IsNullOrEmpty(kind) ? null : Array.Find(Registered, r => r.Name.Equals(kind, StringComparison.OrdinalIgnoreCase));

    /// <param name="Remote">Whether the kind reads s3:// uris (the others read files on the server only).</param>
    private sealed record Registration(string Name, Func<string, PoolContext, bool> Claims, Func<string, bool> Exists, Func<string, PoolRoots, PoolContext, IPoolSource> Open, bool Remote = false)
    {
        /// <summary>For a kind whose claim lists an object store: the claim without blocking (<see cref="DetectAsync"/>); <see cref="Claims"/> then answers for local paths only.</summary>
        public Func<string, PoolContext, CancellationToken, Task<bool>>? ClaimsAsync { get; init; }
    }
}
