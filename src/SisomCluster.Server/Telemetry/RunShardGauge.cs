using Npgsql;

namespace SisomCluster.Server.Telemetry;

/// <summary>One running run's shards in one state.</summary>
public readonly record struct RunShardCount(Guid RunId, string State, long Shards);

/// <summary>
/// Counts the shards of every running run by state for <c>sisom_run_shards{run,state}</c> (the stalled-run and
/// failing-shard alerts and the progress panels read it). The coordinator's lease check calls it on every pass, so the
/// gauge is as fresh as <c>Coordinator__LeaseCheckSeconds</c>; every state is reported, zeros included, so a series
/// exists from the run's first pass and a stalled run shows as a <c>done</c> series that stops changing.
/// </summary>
public sealed class RunShardGauge(NpgsqlDataSource dataSource, SisomMetrics metrics)
{
    public static IReadOnlyList<string> States { get; } = ["pending", "leased", "done", "failed"];

    public async Task<IReadOnlyList<RunShardCount>> RecordAsync(CancellationToken cancellationToken)
    {
        const string Sql = """
            SELECT r.id, s.state, count(s.shard_id)
            FROM runs AS r LEFT JOIN shards AS s ON s.run_id = r.id
            WHERE r.state = 'running'
            GROUP BY r.id, s.state
            """;
        var found = new Dictionary<(Guid, string), long>();
        await using (NpgsqlCommand command = dataSource.CreateCommand(Sql))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                Guid run = reader.GetGuid(0);
                found[(run, reader.IsDBNull(1) ? "" : reader.GetString(1))] = reader.GetInt64(2);
            }
        }

        RunShardCount[] counts = found.Keys.Select(k => k.Item1).Distinct().Order()
            .SelectMany(run => States.Select(state => new RunShardCount(run, state, found.GetValueOrDefault((run, state)))))
            .ToArray();
        metrics.RunShards(counts);
        return counts;
    }
}
