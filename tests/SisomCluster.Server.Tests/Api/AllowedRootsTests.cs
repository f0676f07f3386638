using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Server.Api.Items;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// <c>Pools:AllowedRoots</c>, <c>Models:Directory</c> and the thumbnail limits on a real api host: registration outside
/// the roots (by <c>../</c>, an absolute path, a symbolic link) is one 422 that names no path, a pool registered before
/// the roots were set is read no more, a link out of a directory pool is not followed, a run names a model from the
/// registry only, thumbnails beyond the slots are 503 with Retry-After, an oversized header is refused undecoded, and a
/// late tar member renders although the members before it are corrupt.
/// </summary>
public sealed class AllowedRootsTests(AllowedRootsApiTestHost host) : IClassFixture<AllowedRootsApiTestHost>
{
    [Fact]
    public async Task A_source_inside_the_roots_registers()
    {
        string source = Path.Combine(host.Allowed, "pool");
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/pools", host.WriteKey, new { name = "inside-" + Guid.NewGuid().ToString("N")[..6], source });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("outside")]
    [InlineData("dotdot")]
    [InlineData("symlink")]
    [InlineData("missing")]
    public async Task A_source_outside_the_roots_is_one_422_that_names_no_path_whether_it_exists_or_not(string how)
    {
        string source = how switch
        {
            "outside" => Path.Combine(host.Directory, "pool"),
            "dotdot" => host.Allowed + "/../pool",
            "symlink" => Path.Combine(host.Allowed, "link-out"),
            _ => Path.Combine(host.Directory, "no-such-folder"),
        };

        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/pools", host.WriteKey, new { name = "out-" + how, source });
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);

        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Equal("source: " + Inference.Pools.PoolOutsideRootsException.DefaultMessage, detail);
        Assert.DoesNotContain(host.Directory, problem.GetRawText(), StringComparison.Ordinal);
        using HttpResponseMessage listed = await host.GetAsync($"/api/v1/pools/out-{how}", host.ReadKey);
        Assert.Equal(HttpStatusCode.NotFound, listed.StatusCode);
    }

    [Fact]
    public async Task A_pool_registered_outside_before_the_roots_were_set_is_read_no_more()
    {
        // The base seed's pool lies in Directory/pool, outside the roots this host was started with.
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{host.PoolName}/thumbnails/{ApiTestHost.ItemId(0)}", host.ReadKey);
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal($"pool '{host.PoolName}' lies outside the folders this server allows pools in.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_symbolic_link_out_of_a_directory_pool_is_not_followed()
    {
        using HttpResponseMessage inside = await host.GetAsync($"/api/v1/pools/{AllowedRootsApiTestHost.DirectoryPool}/thumbnails/a.png", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, inside.StatusCode);

        using HttpResponseMessage escape = await host.GetAsync($"/api/v1/pools/{AllowedRootsApiTestHost.DirectoryPool}/thumbnails/escape.png", host.ReadKey);
        JsonElement problem = await ApiTestHost.ProblemAsync(escape, HttpStatusCode.UnprocessableEntity);
        Assert.Equal($"item 'escape.png' lies outside pool '{AllowedRootsApiTestHost.DirectoryPool}'.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_image_over_the_workers_pixel_limit_is_422_from_its_header()
    {
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{AllowedRootsApiTestHost.DirectoryPool}/thumbnails/huge.png", host.ReadKey);
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(
            $"item 'huge.png' is {AllowedRootsApiTestHost.HugeWidth}x{AllowedRootsApiTestHost.HugeHeight}, over the workers' limit of {Inference.Decoding.DecodeLimits.Default.MaxPixels} pixels.",
            problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_late_tar_member_renders_although_the_members_before_it_are_corrupt()
    {
        using HttpResponseMessage late = await host.GetAsync($"/api/v1/pools/{AllowedRootsApiTestHost.TarPool}/thumbnails/shard/003", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("image/png", late.Content.Headers.ContentType?.MediaType);

        foreach (string corrupt in new[] { "shard/000", "shard/002" })
        {
            using HttpResponseMessage response = await host.GetAsync($"/api/v1/pools/{AllowedRootsApiTestHost.TarPool}/thumbnails/{corrupt}", host.ReadKey);
            JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
            Assert.DoesNotContain(host.Directory, problem.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task With_every_slot_taken_a_thumbnail_is_503_with_retry_after_and_a_cached_one_still_served()
    {
        string cached = $"/api/v1/pools/{AllowedRootsApiTestHost.DirectoryPool}/thumbnails/b.png?size=32";
        using (HttpResponseMessage warm = await host.GetAsync(cached, host.ReadKey))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        ThumbnailGate gate = host.Services.GetRequiredService<ThumbnailGate>();
        Assert.Equal(AllowedRootsApiTestHost.ThumbnailSlots, gate.Capacity);
        var held = new List<IDisposable>();
        string fresh = $"/api/v1/pools/{AllowedRootsApiTestHost.DirectoryPool}/thumbnails/b.png?size=33";
        try
        {
            // Take every slot (other tests of this class do not run meanwhile), so the next render finds none.
            while (gate.TryEnter() is { } slot)
            {
                held.Add(slot);
            }

            Assert.Equal(AllowedRootsApiTestHost.ThumbnailSlots, held.Count);
            using HttpResponseMessage busy = await host.GetAsync(fresh, host.ReadKey);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
            await ApiTestHost.ProblemAsync(busy, HttpStatusCode.ServiceUnavailable);

            using HttpResponseMessage hit = await host.GetAsync(cached, host.ReadKey);
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }

        using HttpResponseMessage after = await host.GetAsync(fresh, host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../models/tiny")]
    [InlineData("tiny.onnx/..")]
    [InlineData("models/tiny")]
    [InlineData("nope")]
    [InlineData("escape")]
    [InlineData("elsewhere")]
    public async Task A_run_model_that_is_a_path_or_unknown_is_400_listing_the_known_names(string model)
    {
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = AllowedRootsApiTestHost.DirectoryPool, budget = 1, model });
        JsonElement problem = await ApiTestHost.ProblemAsync(response, HttpStatusCode.BadRequest);

        string detail = problem.GetProperty("detail").GetString()!;
        Assert.StartsWith("model: ", detail, StringComparison.Ordinal);
        Assert.EndsWith($"resnet18, {AllowedRootsApiTestHost.ModelName}.", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Directory, detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData(AllowedRootsApiTestHost.ModelName)]
    public async Task A_run_names_a_model_of_the_registry(string model)
    {
        using HttpResponseMessage response = await host.SendJsonAsync(HttpMethod.Post, "/api/v1/runs", host.WriteKey, new { pool = AllowedRootsApiTestHost.DirectoryPool, budget = 1, model });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(model, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("model").GetString());
    }
}
