namespace SisomCluster.Server.Api;

/// <summary>RFC 7807 answers whose detail names the field, the way the CLI's one-line errors do.</summary>
internal static class ApiProblems
{
    public static IResult BadRequest(string field, string message) =>
        TypedResults.Problem(title: "Invalid request", detail: $"{field}: {message}", statusCode: StatusCodes.Status400BadRequest);

    public static IResult NotFound(string what) =>
        TypedResults.Problem(title: "Not found", detail: what, statusCode: StatusCodes.Status404NotFound);

    public static IResult Conflict(string detail) =>
        TypedResults.Problem(title: "Conflict", detail: detail, statusCode: StatusCodes.Status409Conflict);
}
