using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SisomCluster.Data.Access;

namespace SisomCluster.Server.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;key&gt;</c>: the bootstrap key or a stored, unrevoked key found by its SHA-256. A missing
/// or wrong key is answered 401 and a key without the endpoint's scope 403, both as problem details saying which.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    BootstrapKey bootstrap,
    IProblemDetailsService problems) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    private const string Bearer = "Bearer ";

    /// <summary>Keys are 64 characters; anything much longer is not one and is not hashed.</summary>
    private const int MaxKeyLength = 512;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header must be 'Bearer <API key>'.");
        }

        string secret = header[Bearer.Length..].Trim();
        if (secret.Length == 0 || secret.Length > MaxKeyLength)
        {
            return AuthenticateResult.Fail("The API key is unknown or revoked.");
        }

        if (bootstrap.Matches(secret))
        {
            return Success("bootstrap", "bootstrap", ApiScopes.All);
        }

        ApiKey? key = await Context.RequestServices.GetRequiredService<ApiKeyStore>().AuthenticateAsync(secret, Context.RequestAborted).ConfigureAwait(false);
        return key is null
            ? AuthenticateResult.Fail("The API key is unknown or revoked.")
            : Success(key.Id.ToString(), key.Prefix, key.Scopes);
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        AuthenticateResult result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        string detail = result.Failure?.Message ?? "Send an API key: 'Authorization: Bearer <key>' (sisom apikey create).";
        await WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized", detail).ConfigureAwait(false);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        string? scope = Context.GetEndpoint()?.Metadata.GetMetadata<IAuthorizeData>()?.Policy;
        string held = string.Join(",", Context.User.FindAll(ApiClaims.Scope).Select(c => c.Value));
        await WriteAsync(StatusCodes.Status403Forbidden, "Forbidden", $"This API key has the scopes '{held}'; this needs '{scope}'.").ConfigureAwait(false);
    }

    private static AuthenticateResult Success(string id, string prefix, IEnumerable<string> scopes)
    {
        List<Claim> claims = [new(ClaimTypes.Name, prefix), new(ApiClaims.KeyId, id), new(ApiClaims.KeyPrefix, prefix)];
        claims.AddRange(scopes.Select(s => new Claim(ApiClaims.Scope, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task WriteAsync(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).ConfigureAwait(false);
}
