using Npgsql;
using Pgvector;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Results;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// Cosine search over a run's stored embeddings with pgvector's <c>&lt;=&gt;</c>. <c>item_scores.embedding</c> has no
/// dimension (one table, many models), so the HNSW index is a partial expression index per run that casts to the run's
/// dimension D (ARCHITECTURE.md §6), built on request and never on the write path; the search orders by the same
/// expression under the same predicate so the planner can use it. pgvector indexes <c>vector</c> up to 2000 dimensions,
/// so larger embeddings (ResNet-50: 2048) are cast to <c>halfvec</c>, which it indexes up to 4000.
/// </summary>
internal static class SimilaritySearch
{
    public const int MaxVectorIndexDimensions = 2000;

    public const int MaxHalfvecIndexDimensions = 4000;

    public static string IndexName(Guid runId) => $"ix_item_scores_hnsw_{runId:N}";

    public static string CastType(int dimensions) => dimensions <= MaxVectorIndexDimensions ? $"vector({dimensions})" : $"halfvec({dimensions})";

    /// <returns>The dimension of the run's stored embeddings, or null when it stored none.</returns>
    public static async Task<int?> DimensionsAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT vector_dims(embedding) FROM item_scores WHERE run_id = $1 AND embedding IS NOT NULL LIMIT 1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int d ? d : null;
    }

    /// <summary>Whether the run's index exists and is valid (a failed concurrent build leaves an invalid one).</summary>
    public static async Task<bool?> IndexValidAsync(NpgsqlDataSource dataSource, Guid runId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass($1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = IndexName(runId) });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is bool valid ? valid : null;
    }

    /// <summary>
    /// Builds the run's HNSW index unless a valid one exists, on the run's partition of <c>item_scores</c> (a partitioned
    /// table takes no CREATE INDEX CONCURRENTLY). CONCURRENTLY: other runs' workers keep writing meanwhile.
    /// </summary>
    /// <returns>True when it was built now.</returns>
    public static async Task<bool> EnsureIndexAsync(NpgsqlDataSource dataSource, Guid runId, int dimensions, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimensions);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, MaxHalfvecIndexDimensions);
        bool? valid = await IndexValidAsync(dataSource, runId, cancellationToken).ConfigureAwait(false);
        if (valid == true)
        {
            return false;
        }

        // DDL takes no parameters: the name, the dimension and the run id are formatted from a Guid and an int, never from text.
        string name = IndexName(runId);
        if (valid == false)
        {
            await ExecuteAsync(dataSource, $"DROP INDEX CONCURRENTLY IF EXISTS {name}", cancellationToken).ConfigureAwait(false);
        }

        string opClass = dimensions <= MaxVectorIndexDimensions ? "vector_cosine_ops" : "halfvec_cosine_ops";
        await ExecuteAsync(
            dataSource,
            $"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {ItemScorePartitions.Name(runId)} USING hnsw ((embedding::{CastType(dimensions)}) {opClass}) WHERE run_id = '{runId:D}'",
            cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <returns>The item's stored embedding; null when the run has no such scored item or stored no embedding for it.</returns>
    public static async Task<Vector?> EmbeddingAsync(NpgsqlDataSource dataSource, Guid runId, string itemId, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("SELECT embedding FROM item_scores WHERE run_id = $1 AND item_id = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = itemId });
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as Vector;
    }

    /// <summary>The <paramref name="k"/> items of the run nearest to <paramref name="query"/> by cosine distance, nearest first.</summary>
    public static async Task<List<SimilarItemResponse>> NearestAsync(
        NpgsqlDataSource dataSource, Guid runId, Vector query, string excludeItemId, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        string cast = CastType(query.ToArray().Length);

        // The run id is a literal so that the partial index's predicate (run_id = '<id>') is provably implied.
        string sql = $"""
            SELECT item_id, (embedding::{cast}) <=> ($1::{cast}) AS distance
            FROM item_scores
            WHERE run_id = '{runId:D}' AND embedding IS NOT NULL AND item_id <> $2
            ORDER BY (embedding::{cast}) <=> ($1::{cast})
            LIMIT $3
            """;
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Vector> { TypedValue = query, DataTypeName = "vector" });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = excludeItemId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = k });
        var items = new List<SimilarItemResponse>(k);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new SimilarItemResponse(reader.GetString(0), reader.GetDouble(1)));
        }

        return items;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);

        // An index over 10⁷ rows takes minutes; the caller's token still cancels it.
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
