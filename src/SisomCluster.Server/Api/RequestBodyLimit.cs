using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace SisomCluster.Server.Api;

/// <summary>
/// Request-size limits per endpoint: <see cref="ApiOptions.MaxLabelsBytes"/> for endpoints marked with
/// <see cref="LabelsUpload"/>, <see cref="ApiOptions.MaxRequestBytes"/> for the rest. A declared Content-Length over the
/// limit is answered 413 at once, before any handler or body binding runs; a chunked body that grows past it is cut by
/// Kestrel (the limit is set on the request) and answered 413 by <see cref="ApiExceptionHandler"/>.
/// </summary>
internal static class RequestBodyLimit
{
    /// <summary>Endpoint metadata: this endpoint takes a label file.</summary>
    public sealed class LabelsUpload;

    public static IApplicationBuilder UseRequestBodyLimit(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            ApiOptions options = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value;
            long limit = context.GetEndpoint()?.Metadata.GetMetadata<LabelsUpload>() is null ? options.MaxRequestBytes : options.MaxLabelsBytes;
            if (context.Request.ContentLength > limit)
            {
                // The unread body may be larger than Kestrel will drain: say the connection ends, so no client reuses it.
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                context.Response.Headers.Connection = "close";
                await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status413PayloadTooLarge,
                        Title = "Request body too large",
                        Detail = $"The request body is {context.Request.ContentLength} bytes; this endpoint accepts at most {limit} bytes.",
                    },
                }).ConfigureAwait(false);
                return;
            }

            // Lowered only now: Kestrel drains an unread body after the 413 above within its own (larger) limit, so the
            // client reads the answer instead of a reset connection.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = limit;
            }

            await next(context).ConfigureAwait(false);
        });
}
