using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;

namespace SisomCluster.Contracts.Http;

/// <summary>
/// A typed client of <c>/api/v1</c>, the one front door: what the <c>sisom</c> CLI (and any .NET program) uses to reach
/// a cluster. Every failure is a <see cref="SisomApiException"/> carrying the HTTP status and the server's problem text.
/// </summary>
public sealed class SisomApiClient : IDisposable
{
    public const string RoutePrefix = "api/v1/";

    /// <summary>The largest page the API serves; lists are read in pages of this size.</summary>
    public const int MaxPageSize = 1000;

    private readonly HttpClient _http;

    /// <param name="server">The server's root, e.g. http://127.0.0.1:8080 (a path prefix of a reverse proxy is kept).</param>
    /// <param name="apiKey">Sent as <c>Authorization: Bearer</c>; null sends none.</param>
    public SisomApiClient(Uri server, string? apiKey, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!server.IsAbsoluteUri || (server.Scheme != Uri.UriSchemeHttp && server.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"server: give an http:// or https:// URL, not '{server}'.", nameof(server));
        }

        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(server.AbsoluteUri.EndsWith('/') ? server.AbsoluteUri : server.AbsoluteUri + "/");
        _http.Timeout = TimeSpan.FromMinutes(10);
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
    }

    public Uri Server => _http.BaseAddress!;

    public void Dispose() => _http.Dispose();

    // ---- pools and labels

    public Task<PoolRegisteredResponse> RegisterPoolAsync(RegisterPoolRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<PoolRegisteredResponse>(HttpMethod.Post, "pools", JsonContent.Create(request, options: SisomJson.Options), cancellationToken);

    public Task<PoolResponse> GetPoolAsync(string pool, CancellationToken cancellationToken = default) =>
        SendAsync<PoolResponse>(HttpMethod.Get, "pools/" + Segment(pool), null, cancellationToken);

    public IAsyncEnumerable<PoolResponse> ListPoolsAsync(CancellationToken cancellationToken = default) =>
        AllPagesAsync<PoolResponse>("pools", cancellationToken);

    /// <param name="csv">id,label lines (header optional), sent as text/csv.</param>
    public Task<LabelImportResponse> ImportLabelsAsync(string pool, Stream csv, IReadOnlyList<string>? classNames = null, CancellationToken cancellationToken = default) =>
        ImportLabelsAsync(pool, csv, classNames, model: null, cancellationToken);

    /// <param name="model">Without <paramref name="classNames"/>: the model whose manifest's class names a label may use (null: the pool's newest run's model).</param>
    public Task<LabelImportResponse> ImportLabelsAsync(string pool, Stream csv, IReadOnlyList<string>? classNames, string? model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(csv);
        var query = new List<string>();
        if (classNames is { Count: > 0 })
        {
            query.Add("class_names=" + Uri.EscapeDataString(string.Join(',', classNames)));
        }

        if (model is not null)
        {
            query.Add("model=" + Uri.EscapeDataString(model));
        }

        string path = "pools/" + Segment(pool) + "/labels" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        var content = new StreamContent(csv);
        content.Headers.ContentType = new MediaTypeHeaderValue("text/csv") { CharSet = "utf-8" };
        return SendAsync<LabelImportResponse>(HttpMethod.Post, path, content, cancellationToken);
    }

    // ---- runs

    public Task<RunResponse> StartRunAsync(StartRunRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<RunResponse>(HttpMethod.Post, "runs", JsonContent.Create(request, options: SisomJson.Options), cancellationToken);

    public Task<RunResponse> GetRunAsync(Guid run, CancellationToken cancellationToken = default) =>
        SendAsync<RunResponse>(HttpMethod.Get, $"runs/{run:D}", null, cancellationToken);

    public Task<RunResponse> CancelRunAsync(Guid run, CancellationToken cancellationToken = default) =>
        SendAsync<RunResponse>(HttpMethod.Post, $"runs/{run:D}/cancel", null, cancellationToken);

    /// <summary>One page of runs, newest first.</summary>
    /// <param name="idPrefix">Only runs whose id starts with these hex digits.</param>
    public Task<Page<RunResponse>> ListRunsAsync(
        string? pool = null, string? state = null, string? idPrefix = null, int? pageSize = null, string? pageToken = null, CancellationToken cancellationToken = default) =>
        SendAsync<Page<RunResponse>>(HttpMethod.Get, "runs" + Query(("pool", pool), ("state", state), ("id_prefix", idPrefix), ("page_size", pageSize?.ToString(CultureInfo.InvariantCulture)), ("page_token", pageToken)), null, cancellationToken);

    /// <summary>A run by its id or a unique prefix of it (at least <see cref="RunIds.MinPrefixLength"/> hex digits, as the dashboard shows).</summary>
    public async Task<RunResponse> ResolveRunAsync(string idOrPrefix, CancellationToken cancellationToken = default)
    {
        RunReference reference = RunIds.Parse(idOrPrefix);
        if (reference.Id is { } id)
        {
            return await GetRunAsync(id, cancellationToken).ConfigureAwait(false);
        }

        Page<RunResponse> page = await ListRunsAsync(idPrefix: reference.Prefix, pageSize: 2, cancellationToken: cancellationToken).ConfigureAwait(false);

        // Checked here too: a server that ignored id_prefix must not make "cancel 3f2c9a1b" act on another run.
        List<RunResponse> matches = [.. page.Items.Where(r => r.Id.ToString("D").StartsWith(reference.Prefix!, StringComparison.Ordinal))];
        return matches.Count switch
        {
            0 => throw new SisomApiException((int)HttpStatusCode.NotFound, $"no run id starts with {reference.Prefix}.", null),
            1 => matches[0],
            _ => throw new SisomApiException((int)HttpStatusCode.Conflict, $"several runs start with {reference.Prefix} ({matches[0].Id}, {matches[1].Id}…): give more digits.", null),
        };
    }

    // ---- results

    public IAsyncEnumerable<SelectionResponse> SelectionAsync(Guid run, CancellationToken cancellationToken = default) =>
        AllPagesAsync<SelectionResponse>($"runs/{run:D}/selection", cancellationToken);

    public Task<List<ThresholdResponse>> ThresholdsAsync(Guid run, CancellationToken cancellationToken = default) =>
        SendAsync<List<ThresholdResponse>>(HttpMethod.Get, $"runs/{run:D}/thresholds", null, cancellationToken);

    /// <param name="kind">hour, source, or null for both.</param>
    public IAsyncEnumerable<DriftPointResponse> DriftAsync(Guid run, string? kind = null, CancellationToken cancellationToken = default) =>
        AllPagesAsync<DriftPointResponse>($"runs/{run:D}/drift" + Query(("kind", kind)), cancellationToken);

    /// <summary>The names of the run's classes (from the model manifest or the pool's labels), index by index.</summary>
    public Task<RunClassesResponse> ClassesAsync(Guid run, CancellationToken cancellationToken = default) =>
        SendAsync<RunClassesResponse>(HttpMethod.Get, $"runs/{run:D}/classes", null, cancellationToken);

    /// <summary>A pool's OOD rate across its completed runs, per UTC day of capture or per source (<see cref="PoolDriftPointResponse"/>).</summary>
    /// <param name="bucket">day or source.</param>
    /// <param name="from">Day buckets: hours from this instant on; source buckets: runs completed from it on.</param>
    /// <param name="to">Likewise, before this instant.</param>
    /// <param name="score">Only runs that counted this OOD score (sisom, sisome, knn, energy).</param>
    public IAsyncEnumerable<PoolDriftPointResponse> PoolDriftAsync(string pool, string bucket, DateTimeOffset? from = null, DateTimeOffset? to = null, string? score = null, CancellationToken cancellationToken = default) =>
        AllPagesAsync<PoolDriftPointResponse>(
            $"pools/{Segment(pool)}/drift" + Query(("bucket", bucket), ("from", from?.ToString("O", CultureInfo.InvariantCulture)), ("to", to?.ToString("O", CultureInfo.InvariantCulture)), ("score", score)),
            cancellationToken);

    /// <summary>Histograms of a run's scores with their thresholds: one per score, or only <paramref name="score"/>.</summary>
    /// <param name="score">sisom, sisome, energy, or null for all three.</param>
    /// <param name="bins">2–500; null for the server's default (40).</param>
    public Task<List<ScoreHistogramResponse>> HistogramsAsync(Guid run, string? score = null, int? bins = null, CancellationToken cancellationToken = default) =>
        SendAsync<List<ScoreHistogramResponse>>(HttpMethod.Get, $"runs/{run:D}/histograms" + Query(("score", score), ("bins", bins?.ToString(CultureInfo.InvariantCulture))), null, cancellationToken);

    /// <summary>Every scored item of a run with its scores, in item-id order.</summary>
    public IAsyncEnumerable<ScoredItemResponse> ScoresAsync(Guid run, CancellationToken cancellationToken = default) =>
        AllPagesAsync<ScoredItemResponse>($"runs/{run:D}/scores", cancellationToken);

    // ---- rounds

    /// <summary>Starts a round, or returns the round of the same id (<see cref="RoundResponse.Existing"/>) when it exists with the same labels.</summary>
    public Task<RoundResponse> StartRoundAsync(StartRoundRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<RoundResponse>(HttpMethod.Post, "rounds", JsonContent.Create(request, options: SisomJson.Options), cancellationToken);

    public Task<RoundResponse> GetRoundAsync(string roundId, CancellationToken cancellationToken = default) =>
        SendAsync<RoundResponse>(HttpMethod.Get, "rounds/" + Segment(roundId), null, cancellationToken);

    /// <summary>Every round, newest first (optionally of one pool).</summary>
    public IAsyncEnumerable<RoundResponse> ListRoundsAsync(string? pool = null, CancellationToken cancellationToken = default) =>
        AllPagesAsync<RoundResponse>("rounds" + Query(("pool", pool)), cancellationToken);

    // ---- items

    /// <summary>
    /// Copies the run's Parquet export to <paramref name="destination"/> as the server streams it: every item score
    /// (<c>scores.parquet</c>, with the embeddings when <paramref name="embeddings"/>) or the selection (<c>selection.parquet</c>).
    /// Returns the bytes copied.
    /// </summary>
    public async Task<long> ExportAsync(Guid run, bool selection, bool embeddings, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        string path = selection ? $"runs/{run:D}/selection.parquet" : $"runs/{run:D}/scores.parquet" + Query(("embeddings", embeddings ? "true" : null));
        return await CopyAsync(path, destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the run's selection in a labeling tool's format (<see cref="SelectionFormats"/>: Label Studio tasks JSON, CSV,
    /// JSON Lines) to <paramref name="destination"/>. Returns the bytes copied.
    /// </summary>
    public async Task<long> DownloadSelectionAsync(Guid run, string format, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return await CopyAsync($"runs/{run:D}/selection.{SelectionFormats.Extension(format)}", destination, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> CopyAsync(string path, Stream destination, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, RoutePrefix + path);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(HttpMethod.Get, path, response, cancellationToken).ConfigureAwait(false);
            }

            Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                long before = destination.CanSeek ? destination.Position : 0;
                await body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
                return destination.CanSeek ? destination.Position - before : -1;
            }
        }
        catch (HttpRequestException e)
        {
            throw new SisomApiException($"the SisomCluster API at {_http.BaseAddress} broke off the export: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new SisomApiException($"the SisomCluster API at {_http.BaseAddress} broke off the export: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SisomApiException($"the SisomCluster API at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:F0} s.", e);
        }
    }

    public Task<ItemDetailResponse> ItemAsync(Guid run, string itemId, CancellationToken cancellationToken = default) =>
        SendAsync<ItemDetailResponse>(HttpMethod.Get, $"runs/{run:D}/items/{ItemPath(itemId)}", null, cancellationToken);

    public Task<SimilarItemsResponse> SimilarAsync(Guid run, string itemId, int k = 10, CancellationToken cancellationToken = default) =>
        SendAsync<SimilarItemsResponse>(HttpMethod.Get, $"runs/{run:D}/similar/{ItemPath(itemId)}?k={k.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken);

    public Task<SimilarityIndexResponse> CreateSimilarityIndexAsync(Guid run, CancellationToken cancellationToken = default) =>
        SendAsync<SimilarityIndexResponse>(HttpMethod.Post, $"runs/{run:D}/similarity-index", null, cancellationToken);

    // ---- API keys (admin)

    public Task<List<ApiKeyResponse>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        SendAsync<List<ApiKeyResponse>>(HttpMethod.Get, "api-keys", null, cancellationToken);

    public Task<CreatedApiKeyResponse> CreateApiKeyAsync(CreateApiKeyRequest request, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedApiKeyResponse>(HttpMethod.Post, "api-keys", JsonContent.Create(request, options: SisomJson.Options), cancellationToken);

    public Task<ApiKeyResponse> RevokeApiKeyAsync(string idOrPrefix, CancellationToken cancellationToken = default) =>
        SendAsync<ApiKeyResponse>(HttpMethod.Delete, "api-keys/" + Segment(idOrPrefix), null, cancellationToken);

    // ---- plumbing

    /// <summary>
    /// An item id as the last part of a path, escaped whole (slashes as <c>%2F</c>, which the server turns back): kept as
    /// segments, an id like <c>a/../b</c> would be collapsed by <see cref="Uri"/> into another item's path.
    /// </summary>
    public static string ItemPath(string itemId)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        return Uri.EscapeDataString(itemId);
    }

    private static string Segment(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        return Uri.EscapeDataString(value);
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach ((string name, string? value) in parameters)
        {
            if (!string.IsNullOrEmpty(value))
            {
                builder.Append(builder.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return builder.ToString();
    }

    private async IAsyncEnumerable<T> AllPagesAsync<T>(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        char join = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        do
        {
            string url = $"{path}{join}page_size={MaxPageSize.ToString(CultureInfo.InvariantCulture)}" + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token));
            Page<T> page = await SendAsync<Page<T>>(HttpMethod.Get, url, null, cancellationToken).ConfigureAwait(false);
            foreach (T item in page.Items)
            {
                yield return item;
            }

            token = page.NextPageToken;
        }
        while (token is not null);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, RoutePrefix + path) { Content = content };
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SisomApiException($"cannot reach the SisomCluster API at {_http.BaseAddress}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SisomApiException($"the SisomCluster API at {_http.BaseAddress} did not answer within {_http.Timeout.TotalSeconds:F0} s.", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(method, path, response, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                return await response.Content.ReadFromJsonAsync<T>(SisomJson.Options, cancellationToken).ConfigureAwait(false)
                    ?? throw new SisomApiException((int)response.StatusCode, $"{method} /{RoutePrefix}{path}: the server sent an empty answer.", null);
            }
            catch (HttpRequestException e)
            {
                throw new SisomApiException($"the SisomCluster API at {_http.BaseAddress} broke off its answer: {e.Message}", e);
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new SisomApiException($"{method} /{RoutePrefix}{path}: the answer is not the JSON this client expects (is {_http.BaseAddress} a SisomCluster API?): {e.Message}", e);
            }
        }
    }

    private static async Task<SisomApiException> ErrorAsync(HttpMethod method, string path, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        int status = (int)response.StatusCode;
        ProblemResponse? problem = null;
        if (response.Content.Headers.ContentType?.MediaType is { } type && type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                problem = await response.Content.ReadFromJsonAsync<ProblemResponse>(SisomJson.Options, cancellationToken).ConfigureAwait(false);
            }
            catch (System.Text.Json.JsonException)
            {
                problem = null;
            }
        }

        string what = problem?.Detail ?? problem?.Title ?? response.ReasonPhrase ?? "error";
        string hint = status switch
        {
            401 => " (pass --api-key, set SISOM_API_KEY or run sisom login)",
            403 => " (the API key lacks the scope this needs)",
            _ => "",
        };
        return new SisomApiException(status, $"{what.TrimEnd('.')}{hint} [HTTP {status} from {method} /{RoutePrefix}{path.Split('?')[0]}]", problem);
    }
}
