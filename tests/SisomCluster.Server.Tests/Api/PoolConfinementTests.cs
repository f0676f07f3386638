using System.Net;
using System.Text.Json;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// A manifest pool whose rows point out of it (<c>../</c>, an absolute path elsewhere, a symbolic link inside its folder
/// that points out, a path outside that does not exist): a read key gets no byte of any of them, and every answer is the
/// same 422 with no server path, whether the file exists or not.
/// </summary>
public sealed class PoolConfinementTests(ConfinedPoolApiTestHost host) : IClassFixture<ConfinedPoolApiTestHost>
{
    [Fact]
    public async Task An_item_inside_the_manifest_folder_is_served()
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{ConfinedPoolApiTestHost.ConfinedPool}/thumbnails/inside", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("dotdot")]
    [InlineData("absolute")]
    [InlineData("absolute-missing")]
    [InlineData("symlink")]
    [InlineData("symlinked-folder")]
    public async Task An_item_outside_is_the_same_422_with_no_path_whether_it_exists_or_not(string item)
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{ConfinedPoolApiTestHost.ConfinedPool}/thumbnails/{item}", host.ReadKey);

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        string detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Equal($"item '{item}' lies outside pool '{ConfinedPoolApiTestHost.ConfinedPool}'.", detail);
    }

    [Fact]
    public async Task A_missing_item_inside_names_no_server_path()
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{ConfinedPoolApiTestHost.ConfinedPool}/thumbnails/inside-missing", host.ReadKey);

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        string body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(host.Directory, body, StringComparison.Ordinal);
        Assert.Contains("not readable", body, StringComparison.Ordinal);
    }
}
