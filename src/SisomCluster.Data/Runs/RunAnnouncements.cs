using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace SisomCluster.Data.Runs;

/// <summary>
/// Tells the coordinators that a run was requested (ARCHITECTURE.md §3): <see cref="RunRequests.CreateAsync"/> sends a
/// PostgreSQL <c>NOTIFY</c> on <see cref="Channel"/>, delivered when its transaction commits, and each coordinator's
/// launcher <see cref="ListenAsync">listens</see> and launches at once instead of at its next poll. The poll stays:
/// a notification sent while no coordinator listened (a restart, a lost connection) is simply not delivered, and the
/// run is launched by the next poll instead.
/// </summary>
public static class RunAnnouncements
{
    public const string Channel = "sisom_run_queued";

    /// <summary>Announces a requested run (its id is the payload); in a transaction, the announcement goes out when it commits.</summary>
    public static async Task AnnounceAsync(SisomDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        string payload = runId.ToString();
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({Channel}, {payload})", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Listens on <see cref="Channel"/> until cancelled or the connection fails (that exception propagates: the caller
    /// waits and listens again). <paramref name="queued"/> runs once as soon as the listen is in place (runs requested
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
            NpgsqlCommand listen = new("LISTEN " + Channel, connection);
            await using (listen.ConfigureAwait(false))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            queued(null);
            while (true)
            {
                await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
