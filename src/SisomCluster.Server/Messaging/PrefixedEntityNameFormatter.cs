using MassTransit;

namespace SisomCluster.Server.Messaging;

/// <summary>
/// Message-type exchanges named under the cluster's <c>Server__QueuePrefix</c> (<c>sisom:SisomCluster.Contracts:ShardScored</c>),
/// so that what one cluster publishes (ShardScored, ShardFailed, ContextReady, RunCompleted) reaches only its own queues.
/// </summary>
/// <remarks>
/// With MassTransit's default names the exchange of a message type is shared by every cluster on the broker: each
/// published ShardScored was copied into the run-progress queue of every prefix that ever bound one, live or not (on the
/// development broker, 1 482 queues left by tests and benchmarks, 1.47 million messages, RabbitMQ at a quarter of the
/// two cores during a benchmark), and a cluster's coordinator and aggregator consumed the other clusters' events.
/// Queues (<see cref="SisomQueues"/>) were already per prefix; now exchanges are too.
/// </remarks>
public sealed class PrefixedEntityNameFormatter(IEntityNameFormatter inner, string prefix) : IEntityNameFormatter
{
    public string FormatEntityName<T>() => prefix + ":" + inner.FormatEntityName<T>();
}
