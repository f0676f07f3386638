using System.Globalization;
using Amazon.Runtime;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// How pools in object storage are reached: any S3-compatible endpoint (AWS, MinIO, Ceph, GCS interop, s3rver). The
/// server binds these from <c>S3__*</c> settings; a process without them (the offline CLI) takes the same variables
/// from its environment (<see cref="FromEnvironment"/>). Credentials are never part of the settings that are read from
/// configuration: the SDK's standard chain finds them (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>, a profile,
/// a web identity token, the instance role), and nothing here logs or prints them.
/// </summary>
public sealed record S3Settings
{
    /// <summary>The endpoint (<c>http://127.0.0.1:4569</c>, <c>https://minio.example:9000</c>); null for AWS itself.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>The region requests are signed for; <c>us-east-1</c> when null.</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (<c>endpoint/bucket/key</c>), which MinIO, Ceph and s3rver on loopback need.</summary>
    public bool ForcePathStyle { get; init; }

    /// <summary>Longest wait for a response, and for the next bytes of a body being streamed, before the request is retried.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of one request (the SDK's, for errors before a body) and of one body read cut short (ours, resumed by range).</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff between retries; it doubles each time (capped at 10 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The largest object read (a tar shard, a parquet file): a larger one fails its shard unread.</summary>
    public long MaxObjectBytes { get; init; } = 16L << 30;

    /// <summary>Bytes read ahead of the reader while it scores: the bound on what one open object holds in memory.</summary>
    public int ReadAheadBytes { get; init; } = 8 << 20;

    /// <summary>
    /// Whether a worker reading an s3 shard starts the GET of the listing's next tar at once (<see cref="S3Store.Prefetch"/>),
    /// so that its first <see cref="ReadAheadBytes"/> are there when the next shard begins: at most
    /// <see cref="S3Store.MaxPrefetched"/> objects' read-ahead per store beyond the open ones.
    /// </summary>
    public bool PrefetchNext { get; init; } = true;

    /// <summary>Explicit credentials (tests); null takes the SDK's default chain.</summary>
    public AWSCredentials? Credentials { get; init; }

    /// <summary>The settings from <c>S3__ServiceUrl</c>, <c>S3__Region</c>, <c>S3__ForcePathStyle</c>, <c>S3__TimeoutSeconds</c>, <c>S3__MaxRetries</c>.</summary>
    public static S3Settings FromEnvironment()
    {
        static string? Get(string name) => Environment.GetEnvironmentVariable("S3__" + name) is { Length: > 0 } value ? value : null;
        var settings = new S3Settings
        {
            ServiceUrl = Get("ServiceUrl"),
            Region = Get("Region"),
            ForcePathStyle = bool.TryParse(Get("ForcePathStyle"), out bool pathStyle) && pathStyle,
        };
        if (int.TryParse(Get("TimeoutSeconds"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds) && seconds > 0)
        {
            settings = settings with { Timeout = TimeSpan.FromSeconds(seconds) };
        }

        if (int.TryParse(Get("MaxRetries"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int retries) && retries >= 0)
        {
            settings = settings with { MaxRetries = retries };
        }

        return settings;
    }

    /// <summary>The settings without their credentials, for messages and logs.</summary>
    public override string ToString() =>
        $"S3 endpoint {ServiceUrl ?? "(AWS)"}, region {Region ?? "us-east-1"}, path-style {ForcePathStyle}";
}
