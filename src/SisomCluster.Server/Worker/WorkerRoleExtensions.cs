using MassTransit;
using Microsoft.Extensions.Options;
using SisomCluster.Data.Results;
using SisomCluster.Server.Models;

namespace SisomCluster.Server.Worker;

/// <summary>The worker role (ARCHITECTURE.md §2): scores shards from <c>ScoreShard</c> messages, <c>Worker__Concurrency</c> at once.</summary>
public static class WorkerRoleExtensions
{
    public static IHostApplicationBuilder AddWorkerRole(this IHostApplicationBuilder builder, IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(bus);
        builder.Services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.AddModelCache();

        // The shard commit's idle limit follows the lease: a frozen worker's commit is ended by PostgreSQL
        // a few leases after it stopped answering, so the attempt re-issued in its place can commit.
        builder.Services.AddSingleton(provider => ShardCommitLimits.ForLease(TimeSpan.FromSeconds(provider.GetRequiredService<IOptions<WorkerOptions>>().Value.LeaseSeconds)));
        builder.Services.AddSingleton<WorkerRuntime>();
        builder.Services.AddHostedService<ScoringWarmUp>();
        bus.AddConsumer<ScoreShardConsumer, ScoreShardConsumerDefinition>();
        return builder;
    }
}
