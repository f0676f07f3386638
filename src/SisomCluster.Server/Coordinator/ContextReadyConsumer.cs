using MassTransit;
using SisomCluster.Contracts;

namespace SisomCluster.Server.Coordinator;

/// <summary>Publishes the run's shards once its scoring context exists. Idempotent: published shards are skipped.</summary>
public sealed class ContextReadyConsumer(ShardPublisher publisher) : IConsumer<ContextReady>
{
    public Task Consume(ConsumeContext<ContextReady> context) =>
        publisher.PublishPendingAsync(context, context.Message.RunId, context.CancellationToken);
}
