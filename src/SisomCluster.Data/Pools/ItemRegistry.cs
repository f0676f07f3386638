using Npgsql;
using NpgsqlTypes;

namespace SisomCluster.Data.Pools;

/// <summary>
/// Registers items in a pool by binary COPY (a pool listing is 10⁶–10⁹ ids). Re-listing a source is normal, so an id the
/// pool already has is counted as a duplicate, not an error.
/// </summary>
public sealed class ItemRegistry
{
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

                ulong offered = await CopyAsync(connection, items, cancellationToken).ConfigureAwait(false);

                const string Sql = """
                    WITH added AS (
                        INSERT INTO items (pool_id, item_id, uri, source, captured_at, ingested_at)
                        SELECT $1, item_id, uri, source, captured_at, now() FROM items_in
                        ON CONFLICT (pool_id, item_id) DO NOTHING
                        RETURNING 1)
                    UPDATE pools SET item_count = item_count + (SELECT count(*) FROM added)
                    WHERE id = $1
                    RETURNING (SELECT count(*) FROM added)
                    """;
                long added;
                await using (var insert = new NpgsqlCommand(Sql, connection))
                {
                    insert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = poolId });
                    added = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new ItemAddResult(added, (long)offered - added);
            }
        }
    }

    private static async Task<ulong> CopyAsync(NpgsqlConnection connection, IEnumerable<ItemRow> items, CancellationToken cancellationToken)
    {
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            "COPY items_in (item_id, uri, source, captured_at) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            foreach (ItemRow item in items)
            {
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
