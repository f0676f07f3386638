using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace SisomCluster.Data.Runs;

/// <summary>
/// Tells the coordinators that a run was requested (ARCHITECTURE.md §3): <see cref="RunRequests.CreateAsync"/> sends a
/// PostgreSQL <c>NOTIFY</c> in the transaction that writes the run, delivered when it commits, and each coordinator's
/// launcher <see cref="ListenAsync">listens</see> and launches at once instead of at its next poll. The poll stays:
/// a notification sent while no coordinator listened (a restart, a lost connection) is simply not delivered, and the
/// run is launched by the next poll instead.
/// </summary>
/// <remarks>
/// Notifications belong to the whole database, so the channel is named after the schema the connection works in
/// (<see cref="Channel"/> + <c>_</c> + the md5 of <c>current_schema()</c>: always a valid name of 49 characters): clusters
/// sharing one database in different schemas (<c>Search Path</c>) do not wake each other's launchers.
/// </remarks>
public static class RunAnnouncements
{
    public const string Channel = "sisom_run_queued";

    /// <summary>How long the listening connection waits for a notification before it checks the connection is alive.</summary>
    private static readonly TimeSpan Probe = TimeSpan.FromSeconds(30);

    /// <summary>Announces a requested run (its id is the payload); in a transaction, the announcement goes out when it commits.</summary>
    public static async Task AnnounceAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        string payload = runId.ToString();
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel} || '_' || md5(current_schema()), {payload})", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Listens on this schema's channel until cancelled or the connection fails (that exception propagates: the caller
    /// waits and listens again); a connection silent for <see cref="Probe"/> is checked with a query, so a dead one fails
    /// instead of waiting forever. <paramref name="queued"/> runs once as soon as the listen is in place (runs requested
    /// while nobody listened are waiting; the payload is null then) and then on every announcement, with the run's id.
    /// </summary>
    public static async Task ListenAsync(NpgsqlDataSource dataSource, Action<string?> queued, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(queued);
        NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += (_, e) => queued(e.Payload);
            string channel = (string)(await ExecuteAsync(connection, $"SELECT '{Channel}_' || md5(current_schema())", scalar: true, cancellationToken).ConfigureAwait(false))!;
            await ExecuteAsync(connection, $"LISTEN \"{channel}\"", scalar: false, cancellationToken).ConfigureAwait(false);
            queued(null);
            while (true)
            {
                if (!await connection.WaitAsync(Probe, cancellationToken).ConfigureAwait(false))
                {
                    await ExecuteAsync(connection, "SELECT 1", scalar: true, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task<object?> ExecuteAsync(NpgsqlConnection connection, string sql, bool scalar, CancellationToken cancellationToken)
    {
        NpgsqlCommand command = new(sql, connection);
        await using (command.ConfigureAwait(false))
        {
            return scalar
                ? await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)
                : await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
