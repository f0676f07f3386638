using Npgsql;

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
        CopyColumn<ItemScoreCopyRow>.Uuid("run_id", r => r.RunId),
        CopyColumn<ItemScoreCopyRow>.Text("item_id", r => r.Row.ItemId),
        CopyColumn<ItemScoreCopyRow>.Uuid("context_id", r => r.Row.ContextId),
        CopyColumn<ItemScoreCopyRow>.Integer("shard_id", r => r.ShardId),
        CopyColumn<ItemScoreCopyRow>.Integer("predicted", r => r.Row.Score.Predicted),
        CopyColumn<ItemScoreCopyRow>.Text("nearest_reference", r => r.Row.NearestReference),
        CopyColumn<ItemScoreCopyRow>.Double("d_in", r => r.Row.Score.DIn),

        // Core marks an undefined d_out (no reference of the predicted class) as NaN; the column says so with NULL.
        CopyColumn<ItemScoreCopyRow>.Double("d_out", r => double.IsNaN(r.Row.Score.DOut) ? null : r.Row.Score.DOut),
        CopyColumn<ItemScoreCopyRow>.Double("ratio", r => r.Row.Score.Ratio),
        CopyColumn<ItemScoreCopyRow>.Double("energy", r => r.Row.Score.Energy),
        CopyColumn<ItemScoreCopyRow>.Double("sisom", r => r.Row.Score.Sisom),
        CopyColumn<ItemScoreCopyRow>.Double("sisome", r => r.Row.Score.Sisome),
        CopyColumn<ItemScoreCopyRow>.Double("knn", r => double.IsNaN(r.Row.Score.Knn) ? null : r.Row.Score.Knn),
        CopyColumn<ItemScoreCopyRow>.Double("msp", r => r.Row.Score.Baselines.Msp),
        CopyColumn<ItemScoreCopyRow>.Double("max_logit", r => r.Row.Score.Baselines.MaxLogit),
        CopyColumn<ItemScoreCopyRow>.Double("entropy", r => r.Row.Score.Baselines.Entropy),
        CopyColumn<ItemScoreCopyRow>.Double("margin", r => r.Row.Score.Baselines.Margin),
        CopyColumn<ItemScoreCopyRow>.Boolean("ood_sisom", r => r.Row.Score.OodSisom),
        CopyColumn<ItemScoreCopyRow>.Boolean("ood_sisome", r => r.Row.Score.OodSisome),
        CopyColumn<ItemScoreCopyRow>.Boolean("ood_knn", r => r.Row.Score.OodKnn),
        CopyColumn<ItemScoreCopyRow>.Boolean("ood_energy", r => r.Row.Score.OodEnergy),
        CopyColumn<ItemScoreCopyRow>.Boolean("no_reference", r => r.Row.Score.NoReference),
        CopyColumn<ItemScoreCopyRow>.Boolean("is_reference", r => r.Row.Score.IsReference),
        CopyColumn<ItemScoreCopyRow>.TimestampTz("scored_at", r => r.Row.ScoredAt),
        CopyColumn<ItemScoreCopyRow>.Vector("embedding", r => r.Row.Embedding),
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
        NpgsqlRawCopyStream stream = await connection.BeginRawBinaryCopyAsync(
            $"COPY {table} ({List}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        using (var writer = new BinaryCopyWriter(stream))
        {
            try
            {
                foreach (ItemScoreRow row in rows)
                {
                    var source = new ItemScoreCopyRow(runId, shardId, row);
                    writer.StartRow(All.Length);
                    foreach (CopyColumn<ItemScoreCopyRow> column in All)
                    {
                        column.Write(writer, source);
                    }

                    if (writer.ShouldFlush)
                    {
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }

                writer.WriteTrailer();
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await CancelQuietlyAsync(stream).ConfigureAwait(false);
                throw;
            }
        }

        // Closing the stream ends the COPY and reads the server's answer: a row it refused (a duplicate key) throws here.
        // Only here: closing is what ends a COPY normally, and the failure path above has cancelled it instead. This wait
        // takes no token (Npgsql's raw stream has none for it); it is bounded by the connection's command timeout (Npgsql's
        // 30 s default, which the data source keeps), after which the connection is broken and the transaction lost.
        await stream.DisposeAsync().ConfigureAwait(false);
    }

    // A row that could not be encoded (or a cancelled call) must not end the COPY with the rows before it: the COPY is
    // cancelled, so the server discards what it received. An error cancelling (a broken connection) is not the caller's
    // error; the one that stopped the rows propagates either way.
    private static async ValueTask CancelQuietlyAsync(NpgsqlRawCopyStream stream)
    {
        try
        {
            await stream.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }
}
