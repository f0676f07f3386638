using Microsoft.Extensions.Options;
using SisomCluster.Inference.Pools;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Server.Pools;

/// <summary>
/// Opens pool sources confined to the operator's <see cref="PoolOptions.AllowedRoots"/>: the one way the server roles
/// (registration, thumbnails, the coordinator's launch, the aggregator's reference phase, the worker) open a pool. It
/// holds the process's one S3 client (<see cref="S3Options"/>), shared by every s3:// pool.
/// </summary>
/// <param name="http">Gives the client http(s) manifest items are fetched with (redirects off); null: a plain client, redirects off.</param>
public sealed class PoolAccess(IOptions<PoolOptions> options, IOptions<S3Options> s3, IHttpClientFactory? http = null) : IDisposable
{
    /// <summary>Without object-store settings (tests of path pools): s3:// pools use the SDK's defaults.</summary>
    public PoolAccess(IOptions<PoolOptions> options)
        : this(options, Microsoft.Extensions.Options.Options.Create(new S3Options()))
    {
    }

    /// <summary>The client without a factory (tests that build a PoolAccess by hand): one for the process, as HttpClient is meant to be.</summary>
    private static readonly Lazy<HttpClient> OwnClient = new(() => new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = Timeout.InfiniteTimeSpan });

    private readonly Lazy<PoolRoots> _roots = new(() => new PoolRoots(options.Value.AllowedRoots));

    private readonly Lazy<PoolContext> _context = new(() => new PoolContext(
        new S3Store(s3.Value.ToSettings()),
        new Img2DatasetColumns { SourceColumn = options.Value.Img2DatasetSourceColumn ?? "", CapturedAtColumn = options.Value.Img2DatasetCapturedAtColumn ?? "" },
        new HttpItemReader(
            http is null ? () => OwnClient.Value : () => http.CreateClient(HttpItemReader.ClientName),
            new HttpItemSettings
            {
                AllowedHosts = [.. options.Value.AllowedHosts.Where(h => !string.IsNullOrWhiteSpace(h)).Select(h => h.Trim())],
                Timeout = TimeSpan.FromSeconds(options.Value.HttpTimeoutSeconds),
                MaxRetries = options.Value.HttpMaxRetries,
                MaxBytes = (long)options.Value.HttpMaxItemMegabytes << 20,
            })));

    /// <summary>The allowed roots as real paths (unconfined when none is configured).</summary>
    public PoolRoots Roots => _roots.Value;

    /// <summary>The object store and column mapping pools are opened with.</summary>
    public PoolContext Context => _context.Value;

    /// <summary>
    /// Whether a source named <paramref name="uri"/> may lie where it does (the folder of a tar pattern, the s3:// folder),
    /// judged before anything is looked up, so that the answer is the same whether it exists or not.
    /// </summary>
    public bool Allows(string uri) => Roots.Allows(PoolSources.LocationOf(uri));

    /// <summary>Opens a stored pool (kind and uri of its row).</summary>
    /// <exception cref="PoolOutsideRootsException">Its source lies outside the allowed roots.</exception>
    public IPoolSource Open(string kind, string uri) => PoolSources.Open(kind, uri, Roots, Context);

    /// <summary>Opens <paramref name="uri"/> as the kind it is detected as (an s3:// folder is listed once to tell).</summary>
    /// <exception cref="PoolOutsideRootsException">It lies outside the allowed roots.</exception>
    public Task<IPoolSource> OpenAsync(string uri, CancellationToken cancellationToken = default) => PoolSources.OpenAsync(uri, Roots, Context, cancellationToken);

    public void Dispose()
    {
        if (_context.IsValueCreated)
        {
            _context.Value.S3.Dispose();
        }
    }
}
