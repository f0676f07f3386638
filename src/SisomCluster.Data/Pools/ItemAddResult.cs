namespace SisomCluster.Data.Pools;

/// <param name="Added">Items new to the pool.</param>
/// <param name="Duplicates">Rows offered whose id the pool already had, or that repeated an id of the same call.</param>
public sealed record ItemAddResult(long Added, long Duplicates);
