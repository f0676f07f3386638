using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Data;
using SisomCluster.Data.Access;
using SisomCluster.Data.Results;

namespace SisomCluster.Server.Api.Exports;

/// <summary>
/// A run's results as Parquet files, streamed row group by row group from one database query to the response
/// (<see cref="ParquetExport"/>): every item score (the <c>item_scores</c> columns of <see cref="ItemScoreColumns"/>,
/// optionally the embedding) and the selection, each with the item's source and capture time.
/// </summary>
internal static class ExportEndpoints
{
    public const string ContentType = "application/vnd.apache.parquet";

    /// <summary>The score columns exported: all of <see cref="ItemScoreColumns"/> but the run (one per file) and the embedding (on request).</summary>
    public static IReadOnlyList<string> ScoreColumns { get; } =
        ["item_id", .. ItemScoreColumns.Names.Where(n => n is not ("run_id" or "item_id" or "embedding"))];

    /// <summary>The columns every export adds from the item's row (NULL when the pool no longer lists it).</summary>
    public static IReadOnlyList<string> ItemColumns { get; } = ["source", "captured_at"];

    /// <summary>The selection columns, as <c>GET /runs/{id}/selection</c> gives them.</summary>
    public static IReadOnlyList<string> SelectionColumns { get; } = ["rank", "item_id", "score", "original_score", "predicted", "reason"];

    public static void Map(RouteGroupBuilder api)
    {
        RouteGroupBuilder runs = api.MapGroup("/runs/{runId:guid}").WithTags("exports");
        runs.MapGet("/scores.parquet", ScoresAsync).RequireAuthorization(ApiScopes.Read)
            .WithSummary("Every scored item of the run with its scores, source and capture time, as a Parquet file streamed in row groups (?embeddings=true adds the stored embedding as a list of float).");
        runs.MapGet("/selection.parquet", SelectionAsync).RequireAuthorization(ApiScopes.Read)
            .WithSummary("The items selected for labeling, by rank, with source and capture time, as a Parquet file.");
        SelectionExports.Map(runs);
    }

    private static async Task<IResult> ScoresAsync(
        Guid runId,
        SisomDbContext db,
        NpgsqlDataSource dataSource,
        IOptions<ApiOptions> options,
        HttpContext context,
        [FromQuery] string? embeddings,
        CancellationToken cancellationToken)
    {
        bool withEmbeddings;
        switch (embeddings?.ToLowerInvariant())
        {
            case null or "" or "false":
                withEmbeddings = false;
                break;
            case "true":
                withEmbeddings = true;
                break;
            default:
                return ApiProblems.BadRequest("embeddings", $"'{(embeddings.Length > 20 ? embeddings[..20] + "…" : embeddings)}' is not true or false.");
        }

        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.PoolId, r.StoreEmbeddings }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        if (withEmbeddings && !run.StoreEmbeddings)
        {
            return ApiProblems.Conflict($"Run {runId} did not store embeddings (start it with store_embeddings); export without ?embeddings=true.");
        }

        string columns = string.Join(", ", ScoreColumns.Select(c => "s." + c).Concat(ItemColumns.Select(c => "i." + c)).Concat(withEmbeddings ? ["s.embedding"] : []));
        string sql = $"""
            SELECT {columns}
            FROM item_scores s LEFT JOIN items i ON i.pool_id = @pool AND i.item_id = s.item_id
            WHERE s.run_id = @run
            ORDER BY s.item_id
            """;
        return await StreamAsync(context, dataSource, sql, runId, run.PoolId, $"{runId:D}-scores.parquet", options.Value.ExportRowGroupRows, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> SelectionAsync(
        Guid runId,
        SisomDbContext db,
        NpgsqlDataSource dataSource,
        IOptions<ApiOptions> options,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.PoolId }).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            return ApiProblems.NotFound($"No run {runId}.");
        }

        string columns = string.Join(", ", SelectionColumns.Select(c => "s." + c).Concat(ItemColumns.Select(c => "i." + c)));
        string sql = $"""
            SELECT {columns}
            FROM selections s LEFT JOIN items i ON i.pool_id = @pool AND i.item_id = s.item_id
            WHERE s.run_id = @run
            ORDER BY s.rank
            """;
        return await StreamAsync(context, dataSource, sql, runId, run.PoolId, $"{runId:D}-selection.parquet", options.Value.ExportRowGroupRows, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> StreamAsync(
        HttpContext context, NpgsqlDataSource dataSource, string sql, Guid runId, Guid poolId, string fileName, int rowGroupRows, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // One snapshot for the whole file, however long the client takes to read it.
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
                command.Parameters.AddWithValue("run", runId);
                command.Parameters.AddWithValue("pool", poolId);
                context.Response.ContentType = ContentType;
                context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
                await ParquetExport.WriteAsync(command, context.Response.Body, rowGroupRows, cancellationToken).ConfigureAwait(false);
            }
        }

        return TypedResults.Empty;
    }
}
