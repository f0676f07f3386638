using SisomCluster.Contracts.Http;
using SisomCluster.Data.Access;

namespace SisomCluster.Server.Api.Keys;

/// <summary><c>/api/v1/api-keys</c> (admin): what <c>sisom apikey</c> does, for an operator holding the bootstrap key.</summary>
internal static class ApiKeyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder keys = api.MapGroup("/api-keys").WithTags("api-keys").RequireAuthorization(ApiScopes.Admin);
        keys.MapGet("/", ListAsync).WithSummary("Every key (never its secret).");
        keys.MapPost("/", CreateAsync).WithSummary("Create a key; the answer holds its secret, shown this once.");
        keys.MapDelete("/{idOrPrefix}", RevokeAsync).WithSummary("Revoke a key by id or prefix.");
    }

    private static async Task<IResult> ListAsync(ApiKeyStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await store.ListAsync(cancellationToken).ConfigureAwait(false)).Select(ApiKeyMapping.ToResponse).ToList());

    private static async Task<IResult> CreateAsync(CreateApiKeyRequest body, ApiKeyStore store, HttpContext http, CancellationToken cancellationToken)
    {
        if (body?.Scopes is null || body.Scopes.Count == 0)
        {
            return ApiProblems.BadRequest("scopes", $"give at least one of {string.Join(", ", ApiScopes.All)}.");
        }

        try
        {
            CreatedApiKey created = await store.CreateAsync(body.Name ?? "", body.Scopes, cancellationToken).ConfigureAwait(false);
            return TypedResults.Created($"{http.Request.PathBase}/api/v1/api-keys/{created.Key.Id}", new CreatedApiKeyResponse(ApiKeyMapping.ToResponse(created.Key), created.Secret));
        }
        catch (ArgumentException e)
        {
            string message = e.ParamName is { } p && e.Message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal) ? e.Message[..^$" (Parameter '{p}')".Length] : e.Message;
            return TypedResults.Problem(title: "Invalid request", detail: message, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static async Task<IResult> RevokeAsync(string idOrPrefix, ApiKeyStore store, CancellationToken cancellationToken)
    {
        ApiKey? key = await store.RevokeAsync(idOrPrefix, cancellationToken).ConfigureAwait(false);
        return key is null ? ApiProblems.NotFound($"No API key with id or prefix '{idOrPrefix}'.") : TypedResults.Ok(ApiKeyMapping.ToResponse(key));
    }
}
