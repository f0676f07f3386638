using System.Diagnostics;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Access;
using SisomCluster.Server.Api.Auth;
using SisomCluster.Server.Api.Items;
using SisomCluster.Server.Api.Keys;
using SisomCluster.Server.Api.Pools;
using SisomCluster.Server.Api.Results;
using SisomCluster.Server.Api.Runs;

namespace SisomCluster.Server.Api;

/// <summary>
/// The api role: minimal APIs under <c>/api/v1</c> with API-key auth (scopes read, write, admin), RFC 7807 problem
/// details for every 4xx/5xx, keyset paging, request-size limits, and the OpenAPI document at <c>/openapi/v1.json</c>.
/// </summary>
public static class ApiRoleExtensions
{
    public const string RoutePrefix = "/api/v1";

    public const string OpenApiPath = "/openapi/v1.json";

    public static IHostApplicationBuilder AddApiRole(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateDataAnnotations()
            .Validate(
                o => string.IsNullOrEmpty(o.BootstrapKey) || o.BootstrapKey.Trim().Length >= ApiOptions.MinBootstrapKeyLength,
                $"Api:BootstrapKey (Api__BootstrapKey) must be empty or at least {ApiOptions.MinBootstrapKeyLength} characters.")
            .ValidateOnStart();
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = Math.Max(api.Value.MaxRequestBytes, api.Value.MaxLabelsBytes));
        services.AddSingleton<BootstrapKey>();
        services.AddScoped<ApiKeyStore>();
        services.AddSingleton<ThumbnailGate>();
        services.AddSingleton<ThumbnailCache>();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Instance ??= c.HttpContext.Request.Path;
            c.ProblemDetails.Extensions.TryAdd("trace_id", Activity.Current?.Id ?? c.HttpContext.TraceIdentifier);
        });
        services.AddExceptionHandler<ApiExceptionHandler>();

        // Binding failures (malformed JSON, page_size=abc) throw in every environment, so the handler can say what failed.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        // One definition of the wire format for the server and its clients (SisomCluster.Contracts.Http).
        services.Configure<JsonOptions>(o => SisomJson.Configure(o.SerializerOptions));

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(o =>
        {
            foreach (string scope in ApiScopes.All)
            {
                o.AddPolicy(scope, p => p.RequireAuthenticatedUser()
                    .RequireAssertion(c => ApiScopes.Grants(c.User.FindAll(ApiClaims.Scope).Select(s => s.Value), scope)));
            }
        });
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "SisomCluster API";
            document.Info.Description = "SISOM scoring runs, results and labels. Authorization: Bearer <API key> (sisom apikey create).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["api_key"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key with the scope the operation needs: read (GET), write (runs, labels, index), admin (keys).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("api_key", document)] = [] }];
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication MapApiRole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // X-Forwarded-Proto/Host only from the proxies named in Api__ForwardedProxies (any client could send the headers); an
        // entry that is not a network stops the start-up here, naming it.
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ForwardedProxyNetworks() is { Count: > 0 } proxies)
        {
            var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost };
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (System.Net.IPNetwork network in proxies)
            {
                forwarded.KnownIPNetworks.Add(network);
            }

            app.UseForwardedHeaders(forwarded);
        }

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRequestBodyLimit();
        IEndpointConventionBuilder openApi = app.MapOpenApi(OpenApiPath);
        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.ProtectOperationalEndpoints)
        {
            openApi.RequireAuthorization(ApiScopes.Read);
        }
        else
        {
            openApi.AllowAnonymous();
        }


        RouteGroupBuilder api = app.MapGroup(RoutePrefix);
        PoolEndpoints.Map(api);
        RunEndpoints.Map(api);
        Rounds.RoundEndpoints.Map(api);
        ResultEndpoints.Map(api);
        PoolDriftEndpoints.Map(api);
        ClassNameEndpoints.Map(api);
        Exports.ExportEndpoints.Map(api);
        ItemEndpoints.Map(api);
        ApiKeyEndpoints.Map(api);
        return app;
    }
}
