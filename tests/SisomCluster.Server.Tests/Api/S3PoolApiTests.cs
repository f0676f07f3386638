using System.Net;
using System.Text.Json;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// Registering and viewing pools in object storage through the api: an s3:// img2dataset crawl under an allowed prefix
/// registers (kind detected, urls not downloaded counted and reported), one beside the prefix is the same 422 as a path
/// outside the roots, an empty prefix or a malformed uri is a 400 with the reason, and a thumbnail is read from S3.
/// </summary>
public sealed class S3PoolApiTests(S3PoolsApiTestHost host) : IClassFixture<S3PoolsApiTestHost>
{
    [Fact]
    public async Task An_img2dataset_crawl_under_an_allowed_prefix_registers_and_its_thumbnails_come_from_s3()
    {
        string name = "crawl-" + Guid.NewGuid().ToString("N")[..6];
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/pools", host.WriteKey, new { name, source = host.Bucket.Uri("allowed/crawl") });
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);

        JsonElement root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("img2dataset", root.GetProperty("pool").GetProperty("source_kind").GetString());
        Assert.Equal(S3PoolsApiTestHost.Shards * (S3PoolsApiTestHost.PerShard - 1), root.GetProperty("pool").GetProperty("item_count").GetInt32());
        Assert.Contains(root.GetProperty("warnings").EnumerateArray(), w => w.GetString() == "2 rows not downloaded, not scored (failed_to_download: 2)");

        using HttpResponseMessage thumbnail = await host.GetAsync($"/api/v1/pools/{name}/thumbnails/{S3PoolsApiTestHost.Key(1, 2)}", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
        Assert.Equal("image/png", thumbnail.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("outside/crawl")]
    [InlineData("allowed-not/crawl")]
    [InlineData("")]
    public async Task A_prefix_beside_the_allowed_one_is_the_same_422_as_a_path_outside_the_roots(string prefix)
    {
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/pools", host.WriteKey, new { name = "out-" + Guid.NewGuid().ToString("N")[..6], source = host.Bucket.Uri(prefix) });
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal("source: " + Inference.Pools.PoolOutsideRootsException.DefaultMessage, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("allowed/empty", "no .tar objects")]
    [InlineData("S3://Not_A_Bucket/x", "is not an S3 bucket name")]
    public async Task An_empty_prefix_or_a_malformed_uri_is_a_400_with_the_reason(string source, string reason)
    {
        string uri = source.StartsWith("S3://", StringComparison.Ordinal) ? source : host.Bucket.Uri(source);
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/pools", host.WriteKey, new { name = "bad-" + Guid.NewGuid().ToString("N")[..6], source = uri });
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(reason, problem.GetRawText(), StringComparison.Ordinal);
    }
}
