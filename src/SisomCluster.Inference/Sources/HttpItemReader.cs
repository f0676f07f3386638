using System.Globalization;
using System.Net;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// Reads manifest items whose uri is an <c>http(s)://</c> URL — for workers, thumbnails and the reference phase alike.
/// Only hosts in <see cref="HttpItemSettings.AllowedHosts"/> are fetched (none by default: a manifest is user input,
/// and a server that fetches any URL it names is a server-side request forgery); redirects are not followed (the client
/// the server gives this has them off), since a redirect could lead to a host that is not allowed.
/// <para>
/// One item is one GET, streamed into the item's bytes (no temporary file) and cut off at
/// <see cref="HttpItemSettings.MaxBytes"/>. A 5xx, 408, 429, a timeout (no answer or a stalled body within
/// <see cref="HttpItemSettings.Timeout"/>) or a body shorter than its Content-Length is retried after a doubling
/// backoff, up to <see cref="HttpItemSettings.MaxRetries"/> times; a 404/410 is <see cref="PoolItem.MissingCode"/> at
/// once, any other answer <see cref="PoolItem.UnreadableCode"/> at once. A failed item names the reason and the attempts
/// made: it becomes an <c>item_errors</c> row, and the rest of the shard is scored.
/// </para>
/// </summary>
public sealed class HttpItemReader
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/>-style client the server configures for this reader.</summary>
    public const string ClientName = "sisom-pool-items";

    /// <summary>The item error code of a URL whose host is not in <see cref="HttpItemSettings.AllowedHosts"/> (nothing is fetched).</summary>
    public const string HostNotAllowedCode = "host_not_allowed";

    private readonly Func<HttpClient> _client;

    /// <param name="client">Gives the client to send with (from the server's <c>IHttpClientFactory</c>; redirects off).</param>
    public HttpItemReader(Func<HttpClient> client, HttpItemSettings settings)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        _client = client;
        Settings = settings;
    }

    /// <summary>A reader that allows no host: every http(s) item fails with <see cref="HostNotAllowedCode"/>.</summary>
    public static HttpItemReader DenyAll { get; } = new(() => throw new InvalidOperationException("no host is allowed"), new HttpItemSettings());

    public HttpItemSettings Settings { get; }

    /// <summary>Whether <paramref name="uri"/> is an absolute http or https URL.</summary>
    public static bool IsHttp(string uri) =>
        (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        && System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) && parsed.Scheme is "http" or "https" && parsed.Host.Length > 0;

    /// <summary>Whether the URL's host (or host:port) is allowed; compared case-insensitively, after the URL is parsed.</summary>
    public bool Allows(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed) && parsed.Scheme is "http" or "https"
        && Settings.AllowedHosts.Any(h => string.Equals(h, parsed.IdnHost, StringComparison.OrdinalIgnoreCase)
            || string.Equals(h, $"{parsed.IdnHost}:{parsed.Port.ToString(CultureInfo.InvariantCulture)}", StringComparison.OrdinalIgnoreCase));

    /// <summary>Fetches one item; never throws for the item's own trouble (only for <paramref name="cancellationToken"/>).</summary>
    public async Task<PoolItem> ReadAsync(PoolItemInfo info, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!Allows(info.Uri))
        {
            string host = System.Uri.TryCreate(info.Uri, UriKind.Absolute, out Uri? parsed) ? parsed.Authority : "?";
            return Failed(info, HostNotAllowedCode, $"{info.Uri}: host '{host}' is not in Pools__AllowedHosts; nothing was fetched");
        }

        TimeSpan delay = Settings.RetryDelay;
        string reason = "";
        int attempts = 0;
        for (int attempt = 0; attempt <= Settings.MaxRetries; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }

            attempts++;
            (PoolItem? done, string? retry) = await TryOnceAsync(info, cancellationToken).ConfigureAwait(false);
            if (done is not null)
            {
                return done;
            }

            reason = retry!;
        }

        return Failed(info, PoolItem.UnreadableCode, string.Create(CultureInfo.InvariantCulture, $"{info.Uri}: {reason} (gave up after {attempts} attempt(s))"));
    }

    /// <returns>The item (read, or failed for good), or the reason to try again.</returns>
    private async Task<(PoolItem? Done, string? Retry)> TryOnceAsync(PoolItemInfo info, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.Timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, info.Uri);
            using HttpResponseMessage response = await _client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            {
                return (Failed(info, PoolItem.MissingCode, $"{info.Uri}: {status} {response.ReasonPhrase}"), null);
            }

            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                return (null, $"{status} {response.ReasonPhrase}");
            }

            if (status is < 200 or >= 300)
            {
                // 3xx included: a redirect is not followed (it could point at a host that is not allowed).
                return (Failed(info, PoolItem.UnreadableCode, $"{info.Uri}: {status} {response.ReasonPhrase}"), null);
            }

            long max = Math.Min(Settings.MaxBytes, PoolItem.MaxBytes);
            long? length = response.Content.Headers.ContentLength;
            if (length > max)
            {
                return (Failed(info, PoolItem.UnreadableCode, string.Create(CultureInfo.InvariantCulture, $"{info.Uri} is {length} bytes, more than the {max} bytes an item may have")), null);
            }

            Stream body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                byte[]? bytes = await ReadCappedAsync(body, length, max, timeout).ConfigureAwait(false);
                if (bytes is null)
                {
                    return (Failed(info, PoolItem.UnreadableCode, string.Create(CultureInfo.InvariantCulture, $"{info.Uri}: the body is longer than the {max} bytes an item may have")), null);
                }

                if (length is { } expected && bytes.Length != expected)
                {
                    return (null, string.Create(CultureInfo.InvariantCulture, $"the body ended after {bytes.Length} of {expected} bytes"));
                }

                return (new PoolItem { Id = info.Id, Bytes = bytes, Source = info.Source, CapturedAt = info.CapturedAt }, null);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"no answer or no progress within {Settings.Timeout.TotalSeconds:0.###} s"));
        }
        catch (HttpRequestException e)
        {
            return (null, OneLine(e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message));
        }
        catch (IOException e)
        {
            // The body ended early (Content-Length larger than what was sent), the connection was reset.
            return (null, OneLine(e.Message));
        }
    }

    /// <summary>The whole body, or null when it exceeds <paramref name="max"/>; each read restarts the stall timeout.</summary>
    private async Task<byte[]?> ReadCappedAsync(Stream body, long? length, long max, CancellationTokenSource timeout)
    {
        using var buffer = new MemoryStream(length is { } known ? (int)known : 64 << 10);
        byte[] chunk = new byte[64 << 10];
        while (true)
        {
            timeout.CancelAfter(Settings.Timeout);
            int read = await body.ReadAsync(chunk, timeout.Token).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string OneLine(string text) => new([.. text.Take(300).Select(c => char.IsControl(c) ? ' ' : c)]);

    private static PoolItem Failed(PoolItemInfo info, string code, string error) =>
        new() { Id = info.Id, Source = info.Source, CapturedAt = info.CapturedAt, ErrorCode = code, Error = error };
}

/// <summary>How http(s) manifest items are fetched (the server binds these from <c>Pools__*</c>).</summary>
public sealed record HttpItemSettings
{
    /// <summary>Hosts (<c>images.example.com</c>) or host:port pairs items may be fetched from; empty (the default) allows none.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Longest wait for the response headers, and for each next part of the body.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt, for 5xx/408/429, timeouts, cut bodies and connection errors.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first backoff; it doubles each retry (capped at 10 s).</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The largest item fetched, in bytes (never more than <see cref="PoolItem.MaxBytes"/>).</summary>
    public long MaxBytes { get; init; } = PoolItem.MaxBytes;
}
