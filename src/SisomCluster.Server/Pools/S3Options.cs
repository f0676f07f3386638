using System.ComponentModel.DataAnnotations;
using SisomCluster.Inference.Sources;

namespace SisomCluster.Server.Pools;

/// <summary>
/// The object store s3:// pools are read from (<c>S3__ServiceUrl</c>, <c>S3__Region</c>, <c>S3__ForcePathStyle</c>, …).
/// Credentials are not settings: the AWS SDK's standard chain finds them (<c>AWS_ACCESS_KEY_ID</c>/
/// <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_PROFILE</c>, a web identity token, the instance role), and they are never logged.
/// </summary>
public sealed class S3Options : IValidatableObject
{
    public const string SectionName = "S3";

    /// <summary>The S3-compatible endpoint (<c>http://minio:9000</c>); empty for AWS S3 itself.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The region requests are signed for (default <c>us-east-1</c>).</summary>
    public string? Region { get; set; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>): MinIO, Ceph and s3rver want it.</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Longest wait for a response or for the next bytes of a body, before the request is retried.</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Retries of a failed request, and of a body cut short (resumed by range) without progress.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 4;

    /// <summary>The largest object a pool may read, in MiB (a tar shard); a larger one fails its shard unread.</summary>
    [Range(1, 1 << 20)]
    public int MaxObjectMegabytes { get; set; } = 16 << 10;

    /// <summary>MiB each open object is read ahead of the scorer (the memory one stream may hold).</summary>
    [Range(1, 1024)]
    public int ReadAheadMegabytes { get; set; } = 8;

    /// <summary>Start the next tar's GET (its first <see cref="ReadAheadMegabytes"/>) while the current shard is scored.</summary>
    public bool PrefetchNext { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ServiceUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out Uri? parsed) && parsed.Scheme is "http" or "https"))
        {
            yield return new ValidationResult($"S3__ServiceUrl must be an http(s) url, not '{url}'.", [nameof(ServiceUrl)]);
        }
    }

    public S3Settings ToSettings() => new()
    {
        ServiceUrl = string.IsNullOrWhiteSpace(ServiceUrl) ? null : ServiceUrl.Trim(),
        Region = string.IsNullOrWhiteSpace(Region) ? null : Region.Trim(),
        ForcePathStyle = ForcePathStyle,
        Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
        MaxRetries = MaxRetries,
        MaxObjectBytes = (long)MaxObjectMegabytes << 20,
        ReadAheadBytes = ReadAheadMegabytes << 20,
        PrefetchNext = PrefetchNext,
    };
}
