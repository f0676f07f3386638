using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Access;

using SisomCluster.Server.Models;

namespace SisomCluster.Server.Api.Exports;

/// <summary>
/// A run's selection in the formats labeling tools read (<see cref="SelectionFormats"/>), each item with an image URL the
/// tool can fetch:
/// <list type="bullet">
/// <item><c>selection.labelstudio.json</c>: Label Studio tasks with pre-annotations, in the "Basic Label Studio JSON
/// format" of its import docs (https://labelstud.io/guide/predictions and https://labelstud.io/guide/task_format): an array
/// of tasks, each <c>{"data": {"image": URL, …meta}, "predictions": [{"model_version", "score", "result": [{"from_name",
/// "to_name", "type": "choices", "value": {"choices": [class]}}]}]}</c>. <c>from_name</c>/<c>to_name</c> name the labeling
/// config's Choices and Image tags (<c>?from_name=</c>, <c>?to_name=</c>; defaults <c>choice</c> and <c>image</c>, the
/// names of Label Studio's image classification template). The item id travels as <c>data.sisom_item_id</c>, which
/// <c>sisom labels import --format label-studio</c> reads back from Label Studio's export.</item>
/// <item><c>selection.csv</c> and <c>selection.jsonl</c>: one row/line per item with the same fields.</item>
/// </list>
/// The image is the API's thumbnail of the item (<c>Api__PublicBaseUrl</c> + <c>/api/v1/pools/{pool}/thumbnails/{id}?size=512</c>;
/// without it the request's scheme and host, which honour <c>X-Forwarded-Proto/Host</c> only from <c>Api__ForwardedProxies</c>;
/// that endpoint needs a read key, so the tool reaches it through a proxy that adds one), or the object's own
/// <c>s3://</c> URL for an item stored as one object, which Label Studio resolves through its S3 source storage. A class
/// is its name by <see cref="ClassNameResolver"/> (the manifest's for the model's own head, the labels' for a fitted one),
/// else the index as text.
/// </summary>
internal static class SelectionExports
{
    public const string DefaultFromName = "choice";

    public const string DefaultToName = "image";

    public const int ImageSize = 512;

    public static void Map(RouteGroupBuilder runs)
    {
        runs.MapGet("/selection.labelstudio.json", LabelStudioAsync).RequireAuthorization(ApiScopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .WithSummary("The selection as Label Studio tasks (data.image, data.sisom_item_id, predictions with the predicted class); ?from_name=, ?to_name= name the labeling config's tags.");
        runs.MapGet("/selection.csv", CsvAsync).RequireAuthorization(ApiScopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .WithSummary("The selection as CSV, by rank, with each item's image URL and predicted class.");
        runs.MapGet("/selection.jsonl", JsonlAsync).RequireAuthorization(ApiScopes.Read)
            .Produces(StatusCodes.Status200OK, contentType: "application/x-ndjson")
            .WithSummary("The selection as JSON Lines, by rank, with each item's image URL and predicted class.");
    }

    private static async Task<IResult> LabelStudioAsync(
        Guid runId,
        SisomDbContext db,
        ModelRegistry models,
        IOptions<ApiOptions> options,
        HttpContext context,
        [FromQuery(Name = "from_name")] string? fromName,
        [FromQuery(Name = "to_name")] string? toName,
        CancellationToken cancellationToken)
    {
        if (fromName is { Length: 0 or > 200 } || toName is { Length: 0 or > 200 })
        {
            return ApiProblems.BadRequest(fromName is { Length: 0 or > 200 } ? "from_name" : "to_name", "give the tag name of the labeling config (1 to 200 characters).");
        }

        SelectionSource? source = await SelectionSource.LoadAsync(db, models, runId, BaseUrl(options.Value, context), cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        string modelVersion = $"sisom {source.Model}@{source.ModelVersion[..Math.Min(12, source.ModelVersion.Length)]}";
        context.Response.ContentType = "application/json";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{runId:D}-selection.labelstudio.json\"";
        var writer = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartArray();
            await foreach (SelectionExportRow row in source.RowsAsync(cancellationToken).ConfigureAwait(false))
            {
                writer.WriteStartObject();
                writer.WriteStartObject("data");
                writer.WriteString("image", row.ImageUrl);
                WriteFields(writer, row, runId);
                writer.WriteEndObject();
                writer.WriteStartArray("predictions");
                writer.WriteStartObject();
                writer.WriteString("model_version", modelVersion);
                Number(writer, "score", row.Score);
                writer.WriteStartArray("result");
                writer.WriteStartObject();
                writer.WriteString("from_name", fromName ?? DefaultFromName);
                writer.WriteString("to_name", toName ?? DefaultToName);
                writer.WriteString("type", "choices");
                writer.WriteStartObject("value");
                writer.WriteStartArray("choices");
                writer.WriteStringValue(row.PredictedClass);
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
                if (writer.BytesPending > 1 << 16)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Empty;
    }

    private static async Task<IResult> JsonlAsync(Guid runId, SisomDbContext db, ModelRegistry models, IOptions<ApiOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        SelectionSource? source = await SelectionSource.LoadAsync(db, models, runId, BaseUrl(options.Value, context), cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        context.Response.ContentType = "application/x-ndjson";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{runId:D}-selection.jsonl\"";
        using var line = new MemoryStream();
        await foreach (SelectionExportRow row in source.RowsAsync(cancellationToken).ConfigureAwait(false))
        {
            line.SetLength(0);
            using (var writer = new Utf8JsonWriter(line))
            {
                writer.WriteStartObject();
                writer.WriteString("image", row.ImageUrl);
                WriteFields(writer, row, runId);
                writer.WriteEndObject();
            }

            line.WriteByte((byte)'\n');
            await context.Response.Body.WriteAsync(line.GetBuffer().AsMemory(0, (int)line.Length), cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Empty;
    }

    private static async Task<IResult> CsvAsync(Guid runId, SisomDbContext db, ModelRegistry models, IOptions<ApiOptions> options, HttpContext context, CancellationToken cancellationToken)
    {
        SelectionSource? source = await SelectionSource.LoadAsync(db, models, runId, BaseUrl(options.Value, context), cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{runId:D}-selection.csv\"";
        var text = new StreamWriter(context.Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true) { NewLine = "\n" };
        await using (text.ConfigureAwait(false))
        {
            await text.WriteLineAsync("rank,item_id,image,score,original_score,predicted,predicted_class,reason,source").ConfigureAwait(false);
            await foreach (SelectionExportRow row in source.RowsAsync(cancellationToken).ConfigureAwait(false))
            {
                await text.WriteLineAsync(string.Join(
                    ',',
                    row.Rank.ToString(CultureInfo.InvariantCulture),
                    Csv(row.ItemId),
                    Csv(row.ImageUrl),
                    row.Score.ToString("R", CultureInfo.InvariantCulture),
                    row.OriginalScore.ToString("R", CultureInfo.InvariantCulture),
                    row.Predicted.ToString(CultureInfo.InvariantCulture),
                    Csv(row.PredictedClass),
                    Csv(row.Reason),
                    Csv(row.Source ?? ""))).ConfigureAwait(false);
            }
        }

        return TypedResults.Empty;
    }

    /// <summary>The meta fields every format carries; <c>sisom_item_id</c> is what the label import reads back.</summary>
    private static void WriteFields(Utf8JsonWriter writer, SelectionExportRow row, Guid runId)
    {
        writer.WriteString(SelectionFormats.ItemIdKey, row.ItemId);
        writer.WriteString("sisom_run_id", runId);
        writer.WriteNumber("rank", row.Rank);
        Number(writer, "score", row.Score);
        Number(writer, "original_score", row.OriginalScore);
        writer.WriteNumber("predicted", row.Predicted);
        writer.WriteString("predicted_class", row.PredictedClass);
        writer.WriteString("reason", row.Reason);
        if (row.Source is { } source)
        {
            writer.WriteString("source", source);
        }
    }

    private static string BaseUrl(ApiOptions options, HttpContext context) =>
        !string.IsNullOrWhiteSpace(options.PublicBaseUrl)
            ? options.PublicBaseUrl.TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

    /// <summary>JSON has no infinities: a non-finite score is null.</summary>
    private static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    /// <summary>RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes.</summary>
    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
