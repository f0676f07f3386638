using Microsoft.Extensions.Options;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Server.Pools;

/// <summary>
/// Opens pool sources confined to the operator's <see cref="PoolOptions.AllowedRoots"/>: the one way the server roles
/// (registration, thumbnails, the coordinator's launch, the aggregator's reference phase) open a pool.
/// </summary>
public sealed class PoolAccess(IOptions<PoolOptions> options)
{
    private readonly Lazy<PoolRoots> _roots = new(() => new PoolRoots(options.Value.AllowedRoots));

    /// <summary>The allowed roots as real paths (unconfined when none is configured).</summary>
    public PoolRoots Roots => _roots.Value;

    /// <summary>
    /// Whether a source named <paramref name="uri"/> may lie where it does (the folder of a tar pattern), judged before
    /// anything is looked up, so that the answer is the same whether it exists or not.
    /// </summary>
    public bool Allows(string uri) => Roots.Allows(PoolSources.LocationOf(uri));

    /// <summary>Opens a stored pool (kind and uri of its row).</summary>
    /// <exception cref="PoolOutsideRootsException">Its source lies outside the allowed roots.</exception>
    public IPoolSource Open(string kind, string uri) => PoolSources.Open(kind, uri, Roots);

    /// <summary>Opens <paramref name="uri"/> as the kind it is detected as.</summary>
    /// <exception cref="PoolOutsideRootsException">It lies outside the allowed roots.</exception>
    public IPoolSource Open(string uri) => PoolSources.Open(uri, Roots);
}
