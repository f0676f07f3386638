using System.Net;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// The selection exports' image URLs without <c>Api__PublicBaseUrl</c>: the request's scheme and host, which take
/// <c>X-Forwarded-Proto</c>/<c>X-Forwarded-Host</c> only from a proxy in <c>Api__ForwardedProxies</c> (any client could send them).
/// </summary>
public sealed class ForwardedHeadersTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("10.0.0.0/8", false)]
    [InlineData("10.0.0.0/8, 127.0.0.1/32", true)]
    public async Task Export_urls_take_the_forwarded_host_only_from_a_configured_proxy(string? proxies, bool honoured)
    {
        var host = new ForwardedProxyApiTestHost(proxies);
        try
        {
            await host.InitializeAsync();
            await AssertImageUrlAsync(host, honoured);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_proxy_entry_that_is_not_a_network_stops_the_api_at_start_naming_it()
    {
        var host = new ForwardedProxyApiTestHost("10.0.0.0/8,proxy.internal");
        try
        {
            Exception e = await Assert.ThrowsAnyAsync<Exception>(host.InitializeAsync);
            Assert.Contains("Api:ForwardedProxies", e.ToString(), StringComparison.Ordinal);
            Assert.Contains("'proxy.internal'", e.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    private static async Task AssertImageUrlAsync(ApiTestHost host, bool honoured)
    {
        using HttpRequestMessage request = host.Request(HttpMethod.Get, $"/api/v1/runs/{host.RunId}/selection.csv", host.ReadKey);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "labels.example.org");
        using HttpResponseMessage response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string image = lines[1].Split(',')[2];
        string expected = honoured ? "https://labels.example.org" : host.Client.BaseAddress!.GetLeftPart(UriPartial.Authority);
        Assert.StartsWith($"{expected}/api/v1/pools/{host.PoolName}/thumbnails/", image, StringComparison.Ordinal);
    }

    private sealed class ForwardedProxyApiTestHost(string? proxies) : ApiTestHost
    {
        protected override IEnumerable<(string Key, string Value)> Settings => proxies is null ? [] : [("Api:ForwardedProxies", proxies)];
    }
}
