namespace SisomCluster.Contracts.Http;

/// <summary>The answer of <c>POST /api/v1/pools</c>: the new pool and what listing its source found.</summary>
/// <param name="Duplicates">Items whose id was seen before in the source: kept once.</param>
/// <param name="Warnings">The first listing warnings (unreadable entries and the like); <paramref name="WarningCount"/> says how many there were.</param>
public sealed record PoolRegisteredResponse(PoolResponse Pool, int Shards, int Duplicates, int WarningCount, IReadOnlyList<string> Warnings);
