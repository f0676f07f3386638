using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Aggregator;
using SisomCluster.Server.Coordinator;
using SisomCluster.Server.Hosting;
using SisomCluster.Server.Messaging;
using SisomCluster.Server.Runs;
using SisomCluster.Server.Worker;
using Xunit;

namespace SisomCluster.Server.Tests.Messaging;

/// <summary>
/// Issue 12, lost message (a): a run launched before any worker (or aggregator) ever existed. Its messages must wait in
/// durable queues, not be dropped at an exchange with no binding, and a worker started later must finish the run with
/// no sweep to rescue it.
/// </summary>
public sealed class QueueTopologyTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public void The_shared_queue_names_are_the_ones_the_formatter_gives_each_consumer()
    {
        var queues = new SisomQueues("sisom");

        // What KEDA scales on and what every deployed cluster already has: renaming would orphan the queues.
        Assert.Equal("sisom-score-shard", queues.ScoreShard);
        IEndpointNameFormatter formatter = queues.Formatter;
        Assert.Equal(formatter.Consumer<ScoreShardConsumer>(), queues.ScoreShard);
        Assert.Equal(formatter.Consumer<PrepareContextConsumer>(), queues.PrepareContext);
        Assert.Equal(formatter.Consumer<ContextReadyConsumer>(), queues.ContextReady);
        Assert.Equal(formatter.Consumer<RunProgressConsumer>(), queues.RunProgress);

        // Every consumer of the server has its endpoint watched.
        string[] consumers = [.. typeof(ServerRoles).Assembly.GetTypes()
            .Where(t => t.IsClass && !t.IsAbstract && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>)))
            .Select(t => (string)typeof(IEndpointNameFormatter).GetMethod(nameof(IEndpointNameFormatter.Consumer))!.MakeGenericMethod(t).Invoke(formatter, null)!)
            .Order(StringComparer.Ordinal)];
        Assert.Equal(consumers, queues.Consumers.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_run_launched_before_any_worker_existed_waits_in_the_queue_and_a_later_worker_completes_it()
    {
        const int Items = 400;
        await using var host = new MessagingHost(database);
        var queues = new SisomQueues(host.QueuePrefix);
        try
        {
            string pool = await host.AddEmbeddingsPoolAsync(Items);

            // Neither sweep may rescue a dropped message: the lease check (which also sends unsent shards) and the
            // republish of old sends are both an hour away. Only the first sends count.
            (string, string)[] noSweep = [("Coordinator:LeaseCheckSeconds", "3600"), ("Coordinator:RepublishSeconds", "86400")];
            WebApplication coordinator = await host.StartAsync(ServerRoles.Coordinator, noSweep);
            Assert.Null(await MessagingHost.ReadyMessagesAsync(queues.ScoreShard));
            Assert.Null(await MessagingHost.ReadyMessagesAsync(queues.PrepareContext));

            Guid runId;
            await using (SisomDbContext db = database.CreateDbContext())
            {
                runId = await new RunCreator(db, Options.Create(new RunOptions { ShardSize = 100, EmbeddingShardSize = 100 }), TimeProvider.System).CreateAsync(new RunRequest(pool, "resnet18", Budget: 5), CancellationToken.None);
            }

            // No aggregator yet either: the launch's PrepareContext must wait in the aggregator's queue.
            await WaitUntilAsync(async () => await MessagingHost.ReadyMessagesAsync(queues.PrepareContext) == 1, "PrepareContext never reached the aggregator's queue");
            await host.StartAsync(ServerRoles.Aggregator);
            await WaitUntilAsync(async () => await CountAsync(runId, "published_at IS NOT NULL") == 4, "the shards were never published");

            // Right after the coordinator stamped them, every ScoreShard is in the workers' queue, though no worker ever ran.
            Assert.Equal(4u, await MessagingHost.ReadyMessagesAsync(queues.ScoreShard));

            await host.StartAsync(ServerRoles.Worker);
            await WaitUntilAsync(async () => await StateAsync(runId) == RunState.Completed, "the run did not complete once a worker started");
            Assert.Equal(4, await CountAsync(runId, "state = 'done' AND attempt = 1"));
            Assert.Equal(Items, await database.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        }
        finally
        {
            await host.DisposeAsync();
            await host.DeleteQueuesAsync(queues.Consumers.Concat(queues.ParkingQueues));
        }
    }

    [Fact]
    public async Task A_lost_context_request_is_sent_again_and_the_run_completes()
    {
        await using var host = new MessagingHost(database);
        var queues = new SisomQueues(host.QueuePrefix);
        try
        {
            string pool = await host.AddEmbeddingsPoolAsync(200);
            await host.StartAsync(ServerRoles.Coordinator, ("Coordinator:RepublishSeconds", "2"));
            Guid runId;
            await using (SisomDbContext db = database.CreateDbContext())
            {
                runId = await new RunCreator(db, Options.Create(new RunOptions { ShardSize = 100, EmbeddingShardSize = 100 }), TimeProvider.System).CreateAsync(new RunRequest(pool, "resnet18", Budget: 5), CancellationToken.None);
            }

            // The launch's PrepareContext is lost before any aggregator takes it: without a second request the run
            // would stay pending, with its shards listed, for ever.
            await WaitUntilAsync(async () => await MessagingHost.ReadyMessagesAsync(queues.PrepareContext) >= 1, "PrepareContext never reached the aggregator's queue");
            Assert.True(await MessagingHost.PurgeAsync(queues.PrepareContext) >= 1);
            await host.StartAsync(ServerRoles.Aggregator | ServerRoles.Worker);

            await WaitUntilAsync(async () => await StateAsync(runId) == RunState.Completed, "the run never completed after its context request was lost");
            Assert.Equal(2, await CountAsync(runId, "state = 'done' AND attempt = 1"));
        }
        finally
        {
            await host.DisposeAsync();
            await host.DeleteQueuesAsync(queues.Consumers.Concat(queues.ParkingQueues));
        }
    }

    [Fact]
    public async Task Events_published_by_one_cluster_reach_only_its_own_queues()
    {
        await using var mine = new MessagingHost(database);
        await using var other = new MessagingHost(database);
        var queues = new SisomQueues(mine.QueuePrefix);
        try
        {
            // The aggregator binds its run-progress queue to ShardScored; stopped, so the queue keeps what reaches it.
            WebApplication aggregator = await mine.StartAsync(ServerRoles.Aggregator);
            await aggregator.StopAsync();
            Assert.Equal(0u, await MessagingHost.ReadyMessagesAsync(queues.RunProgress));

            // Another cluster on the same broker publishes a ShardScored: with one exchange per message type for every
            // cluster it landed in this cluster's queue (and its aggregator consumed the other cluster's progress).
            WebApplication foreign = await other.StartAsync(ServerRoles.Coordinator);
            await foreign.Services.GetRequiredService<IBus>().Publish(Progress());
            await Task.Delay(500);
            Assert.Equal(0u, await MessagingHost.ReadyMessagesAsync(queues.RunProgress));

            // The same event from this cluster's own bus arrives (the check above could see one).
            WebApplication own = await mine.StartAsync(ServerRoles.Coordinator);
            await own.Services.GetRequiredService<IBus>().Publish(Progress());
            await WaitUntilAsync(async () => await MessagingHost.ReadyMessagesAsync(queues.RunProgress) == 1, "this cluster's own ShardScored never reached its run-progress queue");
        }
        finally
        {
            await mine.DisposeAsync();
            await other.DisposeAsync();
            await mine.DeleteQueuesAsync(queues.Consumers.Concat(queues.ParkingQueues));
            var others = new SisomQueues(other.QueuePrefix);
            await other.DeleteQueuesAsync(others.Consumers.Concat(others.ParkingQueues));
        }
    }

    private static Contracts.ShardScored Progress() =>
        new() { RunId = Guid.NewGuid(), ShardId = 0, Attempt = 1, Scored = 1, Failed = 0, FlaggedOod = 0, WorkerId = "test", Seconds = 0.1 };

    private async Task<long> CountAsync(Guid runId, string where) =>
        await database.CountAsync($"SELECT count(*) FROM shards WHERE run_id = $1 AND {where}", runId);

    private async Task<RunState> StateAsync(Guid runId)
    {
        await using SisomDbContext db = database.CreateDbContext();
        return await db.Runs.Where(r => r.Id == runId).Select(r => r.State).SingleAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string failure)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(200);
        }
    }
}
