using SisomCluster.Data.Monitoring;

namespace SisomCluster.Data.Aggregates;

/// <summary>
/// A committed shard's drift counts in one bucket (a source, or an hour of capture or scoring time): the items scored and
/// those flagged by the run's OOD score, reference items left out, as the finaliser's drift points count them.
/// </summary>
public sealed class ShardDriftCount
{
    public Guid RunId { get; set; }

    public int ShardId { get; set; }

    public DriftBucketKind BucketKind { get; set; }

    public required string Bucket { get; set; }

    public long Scored { get; set; }

    public long Flagged { get; set; }
}
