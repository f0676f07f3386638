using MassTransit;
using Microsoft.Extensions.Options;

namespace SisomCluster.Server.Worker;

/// <summary>Concurrency and prefetch sit next to the consumer, from <see cref="WorkerOptions"/>.</summary>
public sealed class ScoreShardConsumerDefinition : ConsumerDefinition<ScoreShardConsumer>
{
    private readonly WorkerOptions _options;

    public ScoreShardConsumerDefinition(IOptions<WorkerOptions> options)
    {
        _options = options.Value;
        ConcurrentMessageLimit = _options.Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ScoreShardConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.Prefetch;
    }
}
