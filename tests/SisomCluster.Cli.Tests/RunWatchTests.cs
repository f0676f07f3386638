using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>run watch follows a run through the API until it ends, and its exit code says how it ended.</summary>
public sealed class RunWatchTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private readonly DatabaseFixture _database = server.Database;

    [Fact]
    public async Task Watch_logs_each_change_and_exits_0_when_the_run_completes()
    {
        Guid runId = await Seed.RunAsync(_database, await Seed.PoolAsync(_database), shards: 2, itemsPerShard: 50);
        Task<CliResult> watch = Task.Run(() => Watch(runId));

        // Each state lasts 2 s against the watch's 0.1 s poll: a poll late by a loaded machine still sees it.
        await SetAsync(runId, RunState.Running, doneShards: 0);
        await Task.Delay(2000);
        await SetAsync(runId, RunState.Running, doneShards: 1);
        await Task.Delay(2000);
        await SetAsync(runId, RunState.Completed, doneShards: 2);
        CliResult result = await watch.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // No line twice in a row (a line per change), and the changes in order.
        Assert.All(lines.Zip(lines.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        Assert.Contains(lines, l => l.Contains(": running; OOD by knn; shards 1 done, 0 leased, 1 pending, 0 failed of 2; items 50 scored", StringComparison.Ordinal));
        Assert.EndsWith($"run {runId}: completed; OOD by knn; shards 2 done, 0 leased, 0 pending, 0 failed of 2; items 100 scored, 0 with errors", lines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("\r", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stderr);
    }

    [Fact]
    public async Task Watch_of_a_failed_run_exits_3_with_its_error()
    {
        Guid runId = await Seed.RunAsync(_database, await Seed.PoolAsync(_database));
        await using (SisomDbContext db = _database.CreateDbContext())
        {
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Failed).SetProperty(r => r.Error, "no labels for the pool"));
        }

        CliResult result = Watch(runId);
        Assert.Equal(ExitCodes.RunNotCompleted, result.ExitCode);
        Assert.Equal([$"error: run {runId} failed: no labels for the pool"], result.StderrLines);

        Guid unknown = Guid.NewGuid();
        CliResult missing = Watch(unknown);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal([$"error: no run {unknown} (sisom run list shows the runs)."], missing.StderrLines);
        Assert.Equal(2, server.Run(server.ReadKey, "run", "watch", runId.ToString(), "--interval", "0").ExitCode);
    }

    private CliResult Watch(Guid runId) => server.Run(server.ReadKey, "run", "watch", runId.ToString(), "--interval", "0.1");

    private async Task SetAsync(Guid runId, RunState state, int doneShards)
    {
        await using SisomDbContext db = _database.CreateDbContext();
        await db.Shards.Where(s => s.RunId == runId && s.ShardId < doneShards)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.State, ShardState.Done).SetProperty(s => s.Scored, s => s.ItemCount));
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, state));
    }
}
