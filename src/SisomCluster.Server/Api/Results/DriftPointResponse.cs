namespace SisomCluster.Server.Api.Results;

/// <param name="Lower">With <paramref name="Upper"/>, the Wilson 95 % band of the rate: a band that excludes 1 − q is drift.</param>
internal sealed record DriftPointResponse(string Kind, string Bucket, long Scored, long Flagged, double Rate, double Lower, double Upper);
