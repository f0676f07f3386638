using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace SisomCluster.Data.Results;

/// <summary>
/// The <c>item_scores</c> columns that <see cref="ShardResultWriter"/> COPYs, in order, each with its wire type and the
/// value it takes from Core's <see cref="Core.Scoring.SisomItemScore"/>: the one place a stored score is spelled out for
/// writing. A new score is one line here, one property on <see cref="ItemScore"/> (and its migration), and one field of
/// the API response; a test checks that the three agree (ARCHITECTURE.md §6).
/// </summary>
public static class ItemScoreColumns
{
    internal static readonly CopyColumn<ItemScoreCopyRow>[] All =
    [
        CopyColumn<ItemScoreCopyRow>.Of("run_id", NpgsqlDbType.Uuid, r => r.RunId),
        CopyColumn<ItemScoreCopyRow>.Nullable("item_id", NpgsqlDbType.Text, r => r.Row.ItemId),
        CopyColumn<ItemScoreCopyRow>.Of("context_id", NpgsqlDbType.Uuid, r => r.Row.ContextId),
        CopyColumn<ItemScoreCopyRow>.Of("shard_id", NpgsqlDbType.Integer, r => r.ShardId),
        CopyColumn<ItemScoreCopyRow>.Of("predicted", NpgsqlDbType.Integer, r => r.Row.Score.Predicted),
        CopyColumn<ItemScoreCopyRow>.Nullable("nearest_reference", NpgsqlDbType.Text, r => r.Row.NearestReference),
        CopyColumn<ItemScoreCopyRow>.Of("d_in", NpgsqlDbType.Double, r => r.Row.Score.DIn),

        // Core marks an undefined d_out (no reference of the predicted class) as NaN; the column says so with NULL.
        CopyColumn<ItemScoreCopyRow>.Nullable("d_out", NpgsqlDbType.Double, r => double.IsNaN(r.Row.Score.DOut) ? (double?)null : r.Row.Score.DOut),
        CopyColumn<ItemScoreCopyRow>.Of("ratio", NpgsqlDbType.Double, r => r.Row.Score.Ratio),
        CopyColumn<ItemScoreCopyRow>.Of("energy", NpgsqlDbType.Double, r => r.Row.Score.Energy),
        CopyColumn<ItemScoreCopyRow>.Of("sisom", NpgsqlDbType.Double, r => r.Row.Score.Sisom),
        CopyColumn<ItemScoreCopyRow>.Of("sisome", NpgsqlDbType.Double, r => r.Row.Score.Sisome),
        CopyColumn<ItemScoreCopyRow>.Nullable("knn", NpgsqlDbType.Double, r => double.IsNaN(r.Row.Score.Knn) ? (double?)null : r.Row.Score.Knn),
        CopyColumn<ItemScoreCopyRow>.Of("msp", NpgsqlDbType.Double, r => r.Row.Score.Baselines.Msp),
        CopyColumn<ItemScoreCopyRow>.Of("max_logit", NpgsqlDbType.Double, r => r.Row.Score.Baselines.MaxLogit),
        CopyColumn<ItemScoreCopyRow>.Of("entropy", NpgsqlDbType.Double, r => r.Row.Score.Baselines.Entropy),
        CopyColumn<ItemScoreCopyRow>.Of("margin", NpgsqlDbType.Double, r => r.Row.Score.Baselines.Margin),
        CopyColumn<ItemScoreCopyRow>.Of("ood_sisom", NpgsqlDbType.Boolean, r => r.Row.Score.OodSisom),
        CopyColumn<ItemScoreCopyRow>.Of("ood_sisome", NpgsqlDbType.Boolean, r => r.Row.Score.OodSisome),
        CopyColumn<ItemScoreCopyRow>.Of("ood_knn", NpgsqlDbType.Boolean, r => r.Row.Score.OodKnn),
        CopyColumn<ItemScoreCopyRow>.Of("ood_energy", NpgsqlDbType.Boolean, r => r.Row.Score.OodEnergy),
        CopyColumn<ItemScoreCopyRow>.Of("no_reference", NpgsqlDbType.Boolean, r => r.Row.Score.NoReference),
        CopyColumn<ItemScoreCopyRow>.Of("is_reference", NpgsqlDbType.Boolean, r => r.Row.Score.IsReference),
        CopyColumn<ItemScoreCopyRow>.Of("scored_at", NpgsqlDbType.TimestampTz, r => r.Row.ScoredAt.ToUniversalTime()),
        CopyColumn<ItemScoreCopyRow>.Nullable("embedding", "vector", r => r.Row.Embedding is { } h ? new Vector(h) : null),
    ];

    /// <summary>The COPY column names, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = Array.AsReadOnly(All.Select(c => c.Name).ToArray());

    /// <summary>The names as an SQL column list.</summary>
    internal static string List { get; } = string.Join(", ", Names);

    /// <summary>
    /// Binary-COPYs <paramref name="rows"/> of one shard into <paramref name="table"/> (the run's partition, or a table
    /// like it) in one COPY, on the caller's connection and transaction.
    /// </summary>
    /// <param name="table">A table name the code made (never user text): it is part of the COPY statement.</param>
    public static async Task CopyAsync(
        NpgsqlConnection connection, string table, Guid runId, int shardId, IReadOnlyList<ItemScoreRow> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(rows);
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            $"COPY {table} ({List}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ItemScoreRow row in rows)
            {
                var source = new ItemScoreCopyRow(runId, shardId, row);
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                foreach (CopyColumn<ItemScoreCopyRow> column in All)
                {
                    await column.WriteAsync(importer, source, cancellationToken).ConfigureAwait(false);
                }
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
