using Microsoft.EntityFrameworkCore;
using Npgsql;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Data.Tests.Results;
using Xunit;

namespace SisomCluster.Data.Tests.Runs;

/// <summary>Runs created and deleted while other work on <c>item_scores</c> goes on, against real PostgreSQL.</summary>
public sealed class RunConcurrencyTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Two_concurrent_deletions_of_one_run_give_one_deleted_and_one_not_found_never_an_exception()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid contextId = await Seed.ContextAsync(fixture, poolId);
        var writer = new ShardResultWriter(fixture.DataSource);

        // The race is a window (both read 'completed', both detach): several rounds so that it is hit, not hoped for.
        for (int round = 0; round < 8; round++)
        {
            Guid runId = await Seed.RunAsync(fixture, poolId);
            await writer.CommitAsync(runId, 0, 1, ScoreRows.Make(contextId, 10), []);
            await SetCompletedAsync(runId);

            using var start = new Barrier(2);
            Task<RunDeleteStatus>[] deletions = [Delete(runId, start), Delete(runId, start)];
            RunDeleteStatus[] statuses = await Task.WhenAll(deletions);

            Array.Sort(statuses);
            Assert.Contains(statuses, s => s == RunDeleteStatus.Deleted);
            Assert.All(statuses, s => Assert.True(s is RunDeleteStatus.Deleted or RunDeleteStatus.NotFound, $"round {round}: {s}"));
            Assert.Equal(0, await fixture.CountAsync("SELECT count(*) FROM runs WHERE id = $1", runId));
            Assert.Equal(0, await fixture.CountAsync("SELECT count(*) FROM pg_class WHERE oid = to_regclass($1)", ItemScorePartitions.Name(runId)));
        }
    }

    [Fact]
    public async Task Runs_can_be_created_while_another_runs_shard_commit_is_open()
    {
        Guid poolId = await Seed.PoolAsync(fixture);
        Guid contextId = await Seed.ContextAsync(fixture, poolId);
        Guid busy = await Seed.RunAsync(fixture, poolId);
        var writer = new ShardResultWriter(fixture.DataSource);

        ShardCommit commit = await writer.BeginAsync(busy, 0, 1);
        await using (commit)
        {
            await commit.AddScoresAsync(ScoreRows.Make(contextId, 50));

            // Two creations in parallel while the commit's transaction (its COPY into busy's partition) is open: the
            // trigger's ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on item_scores, which the commit does not block.
            Task<Guid>[] creations = [Task.Run(() => Seed.RunAsync(fixture, poolId)), Task.Run(() => Seed.RunAsync(fixture, poolId))];
            Task all = Task.WhenAll(creations);
            Assert.Same(all, await Task.WhenAny(all, Task.Delay(Patience)));
            foreach (Guid created in await Task.WhenAll(creations))
            {
                Assert.Equal(1, await fixture.CountAsync("SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)", ItemScorePartitions.Name(created)));
            }

            Assert.Equal(ShardCommitStatus.Committed, (await commit.CompleteAsync()).Status);
        }

        Assert.Equal(50, await fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", busy));
    }

    [Fact]
    public async Task A_run_is_created_while_a_reader_holds_item_scores_where_create_table_partition_of_would_wait()
    {
        // The trigger creates the partition standalone and ATTACHes it (SHARE UPDATE EXCLUSIVE on item_scores), which an
        // open reader of item_scores (ACCESS SHARE: the finaliser, the results API) does not block. CREATE TABLE ...
        // PARTITION OF takes ACCESS EXCLUSIVE on item_scores: the same creation that way waits (lock_timeout: 55P03).
        Guid poolId = await Seed.PoolAsync(fixture);
        await using NpgsqlConnection reader = await fixture.DataSource.OpenConnectionAsync();
        await using NpgsqlTransaction reading = await reader.BeginTransactionAsync();
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM item_scores", reader, reading))
        {
            await read.ExecuteScalarAsync();
        }

        Task<Guid> creation = Task.Run(() => Seed.RunAsync(fixture, poolId));
        Assert.Same(creation, await Task.WhenAny(creation, Task.Delay(Patience)));
        Assert.Equal(1, await fixture.CountAsync("SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)", ItemScorePartitions.Name(await creation)));

        await using NpgsqlConnection connection = await fixture.DataSource.OpenConnectionAsync();
        await using (var timeout = new NpgsqlCommand("SET lock_timeout = '2s'", connection))
        {
            await timeout.ExecuteNonQueryAsync();
        }

        await using var create = new NpgsqlCommand(
            $"CREATE TABLE {ItemScorePartitions.Name(Guid.NewGuid())} PARTITION OF item_scores FOR VALUES IN ('{Guid.NewGuid()}')", connection);
        PostgresException blocked = await Assert.ThrowsAsync<PostgresException>(() => create.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, blocked.SqlState);
        await reading.RollbackAsync();
    }

    private Task<RunDeleteStatus> Delete(Guid runId, Barrier start) => Task.Run(async () =>
    {
        start.SignalAndWait();
        return await RunDeletion.DeleteAsync(fixture.DataSource, runId);
    });

    private async Task SetCompletedAsync(Guid runId)
    {
        await using SisomDbContext db = fixture.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Completed));
    }
}
