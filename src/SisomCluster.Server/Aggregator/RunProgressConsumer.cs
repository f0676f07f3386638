using MassTransit;
using SisomCluster.Contracts;

namespace SisomCluster.Server.Aggregator;

/// <summary>Each shard event is a prompt to check the run against the <c>shards</c> table; the finaliser is idempotent.</summary>
public sealed class RunProgressConsumer(RunFinalizer finalizer) : IConsumer<ShardScored>, IConsumer<ShardFailed>
{
    public Task Consume(ConsumeContext<ShardScored> context) => finalizer.TryFinalizeAsync(context.Message.RunId, context, context.CancellationToken);

    public Task Consume(ConsumeContext<ShardFailed> context) => finalizer.TryFinalizeAsync(context.Message.RunId, context, context.CancellationToken);
}
