using System.Diagnostics;
using SisomCluster.Core.Evaluation;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// End to end with real processes (ARCHITECTURE.md §10): coordinator + aggregator in one server process,
/// two separate worker processes, RabbitMQ and PostgreSQL, a Fashion-MNIST pool in tar shards.
/// </summary>
public sealed class MultiProcessClusterTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-e2e-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Two_workers_score_a_tar_pool_exactly_once_and_sisom_separates_ood()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 1400, nearCount: 600, farCount: 100, labeledCount: 300, tars: 8);
        cluster.Start("coordinator,aggregator");
        cluster.Start("worker");
        cluster.Start("worker");

        var clock = Stopwatch.StartNew();
        Guid runId = await cluster.StartRunAsync(budget: 50);
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(8));
        output.WriteLine($"run {state} after {clock.Elapsed.TotalSeconds:F0} s");
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");

        const int Items = 2100;
        Assert.Equal(Items, await database.CountAsync("SELECT (SELECT count(*) FROM item_scores WHERE run_id = $1) + (SELECT count(*) FROM item_errors WHERE run_id = $1)", runId));
        Assert.Equal(Items, await database.CountAsync("SELECT count(DISTINCT item_id) FROM (SELECT item_id FROM item_scores WHERE run_id = $1 UNION ALL SELECT item_id FROM item_errors WHERE run_id = $1) x", runId));
        Assert.Equal(8, await database.CountAsync("SELECT count(*) FROM shards WHERE run_id = $1 AND state = 'done'", runId));
        Assert.Equal(50, await database.CountAsync("SELECT count(*) FROM selections WHERE run_id = $1", runId));
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM selections x JOIN item_scores s ON s.run_id = x.run_id AND s.item_id = x.item_id WHERE x.run_id = $1 AND s.ood_sisom", runId));

        var scores = new List<(double Sisom, bool Ood)>();
        await using (var command = database.DataSource.CreateCommand("SELECT item_id, sisom FROM item_scores WHERE run_id = $1"))
        {
            command.Parameters.Add(new Npgsql.NpgsqlParameter<Guid> { TypedValue = runId });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                string id = reader.GetString(0);
                if (!cluster.Labeled.Contains(id))
                {
                    scores.Add((reader.GetDouble(1), !id.Contains("/id-", StringComparison.Ordinal)));
                }
            }
        }

        OodMetrics metrics = OodMetrics.Compute(scores.Select(s => s.Sisom).ToArray(), scores.Select(s => s.Ood).ToArray());
        output.WriteLine($"SISOM OOD AUROC {metrics.Auroc:F3} (near + far vs ID, {metrics.IdCount} ID, {metrics.OodCount} OOD), FPR@95 {metrics.Fpr95:F3}; {Items / clock.Elapsed.TotalSeconds:F1} items/s end to end");
        Assert.True(metrics.Auroc >= 0.72, $"AUROC {metrics.Auroc:F3} < 0.72");
    }
}
