namespace SisomCluster.Contracts.Http;

/// <param name="Lower">With <paramref name="Upper"/>, the Wilson 95 % band of the rate: a band that excludes 1 − q is drift.</param>
/// <param name="Partial">True while the run is not completed: the counts are those of the shards committed so far (live drift).</param>
public sealed record DriftPointResponse(string Kind, string Bucket, long Scored, long Flagged, double Rate, double Lower, double Upper, bool Partial = false);
