using System.ComponentModel.DataAnnotations;

namespace SisomCluster.Server.Api;

/// <summary>The api role's settings (<c>Api__BootstrapKey</c>, …).</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    public const int MinBootstrapKeyLength = 16;

    /// <summary>
    /// A secret the operator gives (Helm <c>secrets.apiBootstrapKey</c>) that acts as an <c>admin</c> key while it is set:
    /// the way in to create the first stored keys. Hashed at start-up, compared in constant time, never logged. Empty: none.
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>Largest request body in bytes (JSON bodies); a larger one is answered 413.</summary>
    [Range(1024, 1L << 30)]
    public long MaxRequestBytes { get; set; } = 1L << 20;

    /// <summary>Largest label file (<c>POST /api/v1/pools/{pool}/labels</c>) in bytes; a larger one is answered 413.</summary>
    [Range(1024, 4L << 30)]
    public long MaxLabelsBytes { get; set; } = 64L << 20;

    /// <summary>
    /// Whether <c>/metrics</c>, <c>/roles</c> and <c>/openapi/v1.json</c> of a process that runs the api role need a
    /// <c>read</c> key. Default false: Prometheus scrapes without a key and the port is expected to be cluster-internal;
    /// set it when the API port is reachable from outside. <c>/healthz</c> stays open (probes).
    /// </summary>
    public bool ProtectOperationalEndpoints { get; set; }

    /// <summary>
    /// Thumbnails rendered at once by this process (<c>Api__MaxConcurrentThumbnails</c>); a request beyond it is answered
    /// 503 with <c>Retry-After</c>. 0 (the default): twice the processor count.
    /// </summary>
    [Range(0, 4096)]
    public int MaxConcurrentThumbnails { get; set; }

    /// <summary>
    /// Rows per Parquet row group of the exports (<c>GET /api/v1/runs/{id}/scores.parquet</c>): the most rows one export
    /// holds in memory at once (<c>Api__ExportRowGroupRows</c>).
    /// </summary>
    [Range(1, 1 << 20)]
    public int ExportRowGroupRows { get; set; } = 65_536;

    /// <summary>
    /// The API's address as a labeling tool reaches it (<c>Api__PublicBaseUrl</c>, e.g. <c>https://sisom.example.org</c>):
    /// the image URLs of the selection exports (<c>selection.labelstudio.json</c>, <c>.csv</c>, <c>.jsonl</c>) start with
    /// it. Empty (the default): the scheme, host and path base of the export's own request — behind a reverse proxy that is
    /// the proxy's upstream address unless <see cref="ForwardedProxies"/> names the proxy.
    /// </summary>
    [Url]
    public string? PublicBaseUrl { get; set; }

    /// <summary>
    /// Comma-separated networks (CIDR, e.g. <c>10.0.0.0/8,127.0.0.1/32</c>) of the reverse proxies whose
    /// <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> the API honours (<c>Api__ForwardedProxies</c>): a request that
    /// comes from one of them is taken to have the scheme and host the proxy says (the export URLs without
    /// <see cref="PublicBaseUrl"/>). Empty (the default): the headers are ignored, since any client could send them.
    /// </summary>
    public string? ForwardedProxies { get; set; }

    /// <summary>The networks of <see cref="ForwardedProxies"/>; an entry that is not a CIDR network is an error naming it.</summary>
    /// <exception cref="FormatException">An entry is not a network.</exception>
    public IReadOnlyList<System.Net.IPNetwork> ForwardedProxyNetworks() =>
        [.. (ForwardedProxies ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n =>
            System.Net.IPNetwork.TryParse(n, out System.Net.IPNetwork network)
                ? network
                : throw new FormatException($"Api:ForwardedProxies (Api__ForwardedProxies): '{n}' is not a network in CIDR notation (e.g. 10.0.0.0/8)."))];
}
