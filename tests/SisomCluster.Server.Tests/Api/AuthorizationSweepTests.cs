using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data.Access;
using SisomCluster.Server.Api;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// Every route under <c>/api/v1</c>, taken from the running host's <see cref="EndpointDataSource"/> with the scope its
/// authorization metadata requires: no key is 401, every lower scope is 403, a key with the scope passes the door.
/// A host of its own, since the requests with a sufficient key may change rows.
/// </summary>
public sealed class AuthorizationSweepTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    [Fact]
    public void Every_api_route_requires_a_known_scope()
    {
        List<ApiRoute> routes = Routes();

        Assert.True(routes.Count >= 15, $"only {routes.Count} routes found under {ApiRoleExtensions.RoutePrefix}");
        Assert.All(routes, r => Assert.Contains(r.Scope, ApiScopes.All));
    }

    [Fact]
    public async Task Every_route_is_401_without_a_key_403_with_each_lower_scope_and_open_with_its_scope()
    {
        List<string> failures = [];
        foreach (ApiRoute route in Routes())
        {
            using (HttpResponseMessage none = await SendAsync(route, key: null))
            {
                if (none.StatusCode != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{route} without a key: {(int)none.StatusCode}, expected 401");
                }
            }

            foreach (string scope in ApiScopes.All)
            {
                using HttpResponseMessage response = await SendAsync(route, KeyOf(scope));
                bool lower = ApiScopes.All.ToList().IndexOf(scope) < ApiScopes.All.ToList().IndexOf(route.Scope);
                if (lower && response.StatusCode != HttpStatusCode.Forbidden)
                {
                    failures.Add($"{route} with a {scope} key: {(int)response.StatusCode}, expected 403");
                }
                else if (!lower && response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                {
                    failures.Add($"{route} with a {scope} key: {(int)response.StatusCode}, expected neither 401 nor 403");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task A_stored_key_whose_scope_the_code_does_not_know_is_403_everywhere()
    {
        string secret;
        await using (SisomCluster.Data.SisomDbContext db = host.Database.CreateDbContext())
        {
            var store = new ApiKeyStore(db, TimeProvider.System);
            CreatedApiKey created = await store.CreateAsync("from-a-newer-version", [ApiScopes.Read]);
            secret = created.Secret;
            await db.ApiKeys.Where(k => k.Id == created.Key.Id).ExecuteUpdateAsync(u => u.SetProperty(k => k.Scopes, ["superuser"]));
        }

        foreach (ApiRoute route in Routes())
        {
            using HttpResponseMessage response = await SendAsync(route, secret);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{route}: {(int)response.StatusCode}");
        }
    }

    private string KeyOf(string scope) => scope switch
    {
        ApiScopes.Read => host.ReadKey,
        ApiScopes.Write => host.WriteKey,
        _ => ApiTestHost.BootstrapKey,
    };

    /// <summary>A request with a body in the content type the endpoint accepts (a JSON object, or an empty CSV), so routing answers no 415 first.</summary>
    private async Task<HttpResponseMessage> SendAsync(ApiRoute route, string? key)
    {
        using HttpRequestMessage request = host.Request(new HttpMethod(route.Method), Fill(route.Pattern), key);
        if (route.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = route.ContentType == "application/json"
                ? new StringContent("{}", Encoding.UTF8, route.ContentType)
                : new StringContent("", Encoding.UTF8, route.ContentType);
        }

        return await host.Client.SendAsync(request);
    }

    /// <summary>Plausible values for the route parameters: the seeded pool, run and item, a key prefix that does not exist.</summary>
    private string Fill(RoutePattern pattern)
    {
        var path = new StringBuilder();
        foreach (RoutePatternPathSegment segment in pattern.PathSegments)
        {
            path.Append('/');
            foreach (RoutePatternPart part in segment.Parts)
            {
                path.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart { Name: "pool" } => host.PoolName,
                    RoutePatternParameterPart { Name: "runId" } => host.RunId.ToString(),
                    RoutePatternParameterPart { Name: "itemId" } => ApiTestHost.ItemId(1),
                    RoutePatternParameterPart { Name: "idOrPrefix" } => "sisom_zzzzzzzz",
                    RoutePatternParameterPart { Name: "roundId" } => "no-such-round",
                    RoutePatternParameterPart p => throw new InvalidOperationException($"No value for route parameter '{p.Name}' in {pattern.RawText}; add one here."),
                    _ => throw new InvalidOperationException($"Unexpected route part in {pattern.RawText}."),
                });
            }
        }

        return path.ToString();
    }

    private List<ApiRoute> Routes()
    {
        EndpointDataSource source = host.Services.GetRequiredService<EndpointDataSource>();
        List<ApiRoute> routes = [];
        foreach (RouteEndpoint endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            string raw = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (!raw.StartsWith(ApiRoleExtensions.RoutePrefix + "/", StringComparison.Ordinal) && raw != ApiRoleExtensions.RoutePrefix)
            {
                continue;
            }

            // The strictest policy on the endpoint is the scope it needs; none (or AllowAnonymous) is "" and fails the sweep.
            string scope = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null
                ? ""
                : endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>()
                    .Select(a => a.Policy ?? "")
                    .OrderByDescending(p => ApiScopes.All.ToList().IndexOf(p))
                    .FirstOrDefault() ?? "";
            IReadOnlyList<string> methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            string contentType = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes is [string first, ..] ? first : "application/json";
            routes.AddRange(methods.Select(m => new ApiRoute(m, endpoint.RoutePattern, scope, contentType)));
        }

        return routes;
    }

    private sealed record ApiRoute(string Method, RoutePattern Pattern, string Scope, string ContentType)
    {
        public override string ToString() => $"{Method} {Pattern.RawText} (needs '{Scope}')";
    }
}
