using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace SisomCluster.Server.Api;

/// <summary>
/// Turns request errors that surface as exceptions into problem details with a useful detail: a malformed JSON body or
/// query value (400) and a body over the size limit (413, from Kestrel). Anything else stays a 500 whose body says
/// nothing of the exception (the log has it).
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        string detail = bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            detail = $"The request body is larger than this endpoint accepts (at most {httpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes).";
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = bad.StatusCode, Detail = detail },
        }).ConfigureAwait(false);
    }
}
