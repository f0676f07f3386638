namespace SisomCluster.Data.Monitoring;

/// <summary>
/// The OOD rate of one bucket of a run, with the band [<see cref="Lower"/>, <see cref="Upper"/>] expected when the bucket is
/// in distribution (rate ≈ 1 − q): a point outside the band is drift.
/// </summary>
public sealed class DriftPoint
{
    public Guid RunId { get; set; }

    public DriftBucketKind BucketKind { get; set; }

    public required string Bucket { get; set; }

    public long Scored { get; set; }

    public long Flagged { get; set; }

    public double Rate { get; set; }

    public double Lower { get; set; }

    public double Upper { get; set; }
}
