using Npgsql;
using NpgsqlTypes;

namespace SisomCluster.Data.Pools;

/// <summary>
/// Registers items in a pool by binary COPY (a pool listing is 10⁶–10⁹ ids). Re-listing a source is normal, so an id the
/// pool already has is counted as a duplicate, not an error.
/// </summary>
public sealed class ItemRegistry
{
    /// <summary>Rows per COPY + INSERT round: 10⁵ ids insert in seconds, far inside <see cref="ChunkTimeoutSeconds"/>.</summary>
    internal const int ChunkRows = 100_000;

    /// <summary>One chunk's INSERT may take this long on a busy server (the connection's default is 30 s).</summary>
    private const int ChunkTimeoutSeconds = 600;

    private readonly NpgsqlDataSource _dataSource;

    public ItemRegistry(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <exception cref="KeyNotFoundException">The pool does not exist.</exception>
    public async Task<ItemAddResult> AddItemsAsync(Guid poolId, IEnumerable<ItemRow> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Locking the pool row first makes concurrent additions to one pool take turns, so item_count stays exact.
                await using (var lockPool = new NpgsqlCommand("SELECT 1 FROM pools WHERE id = $1 FOR UPDATE", connection))
                {
                    lockPool.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
                    if (await lockPool.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
                    {
                        throw new KeyNotFoundException($"Pool {poolId} does not exist.");
                    }
                }

                await using (var create = new NpgsqlCommand(
                    "CREATE TEMP TABLE items_in (item_id text NOT NULL, uri text, source text, captured_at timestamptz) ON COMMIT DROP",
                    connection))
                {
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                // In chunks: each statement then handles a bounded number of rows (a 10⁷-item listing in one INSERT … SELECT
                // ran past the command timeout on a busy machine), and the temporary table stays small.
                long offered = 0;
                long added = 0;
                using IEnumerator<ItemRow> rows = items.GetEnumerator();
                while (true)
                {
                    ulong copied = await CopyAsync(connection, rows, ChunkRows, cancellationToken).ConfigureAwait(false);
                    if (copied == 0)
                    {
                        break;
                    }

                    offered += (long)copied;
                    await using (var insert = new NpgsqlCommand(
                        """
                        INSERT INTO items (pool_id, item_id, uri, source, captured_at, ingested_at)
                        SELECT $1, item_id, uri, source, captured_at, now() FROM items_in
                        ON CONFLICT (pool_id, item_id) DO NOTHING
                        """,
                        connection))
                    {
                        insert.CommandTimeout = ChunkTimeoutSeconds;
                        insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
                        added += await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    await using (var truncate = new NpgsqlCommand("TRUNCATE items_in", connection))
                    {
                        await truncate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    }

                    if (copied < ChunkRows)
                    {
                        break;
                    }
                }

                await using (var count = new NpgsqlCommand("UPDATE pools SET item_count = item_count + $2 WHERE id = $1", connection))
                {
                    count.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
                    count.Parameters.Add(new NpgsqlParameter<long> { TypedValue = added });
                    await count.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new ItemAddResult(added, offered - added);
            }
        }
    }

    /// <summary>Up to <paramref name="limit"/> rows of <paramref name="items"/> into <c>items_in</c>; 0 when none were left.</summary>
    private static async Task<ulong> CopyAsync(NpgsqlConnection connection, IEnumerator<ItemRow> items, int limit, CancellationToken cancellationToken)
    {
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            "COPY items_in (item_id, uri, source, captured_at) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            for (int n = 0; n < limit && items.MoveNext(); n++)
            {
                ItemRow item = items.Current;
                ArgumentException.ThrowIfNullOrEmpty(item.ItemId, nameof(items));
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(item.ItemId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, item.Uri, cancellationToken).ConfigureAwait(false);
                await WriteTextAsync(importer, item.Source, cancellationToken).ConfigureAwait(false);
                if (item.CapturedAt is { } captured)
                {
                    await importer.WriteAsync(captured.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            return await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async ValueTask WriteTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
        }
    }
}
