namespace SisomCluster.Contracts.Http;

/// <summary>
/// One bucket (a UTC day of capture, or a source) of a pool's drift across its completed runs
/// (<c>GET /api/v1/pools/{pool}/drift</c>). The counts are those of one run, the newest completed run that scored the
/// bucket (<paramref name="RunId"/>): a pool re-scored by several runs counts each item once per bucket, by its latest verdict.
/// </summary>
/// <param name="Kind">day or source.</param>
/// <param name="Bucket">The day (yyyy-MM-dd, UTC) or the source.</param>
/// <param name="Lower">With <paramref name="Upper"/>, the Wilson 95 % interval of <paramref name="Rate"/> (SISOM.md §8.2).</param>
/// <param name="Expected">1 − q of the run the counts come from: the rate expected of in-distribution data.</param>
/// <param name="Drift">Whether <paramref name="Expected"/> lies outside [<paramref name="Lower"/>, <paramref name="Upper"/>].</param>
/// <param name="RunCompletedAt">When that run completed.</param>
/// <param name="OodScore">The OOD score whose flag that run counted.</param>
/// <param name="Runs">How many completed runs (of those asked for) scored the bucket; all but the newest are superseded.</param>
public sealed record PoolDriftPointResponse(
    string Kind,
    string Bucket,
    long Scored,
    long Flagged,
    double Rate,
    double Lower,
    double Upper,
    double Expected,
    bool Drift,
    Guid RunId,
    DateTimeOffset? RunCompletedAt,
    string OodScore,
    int Runs);
