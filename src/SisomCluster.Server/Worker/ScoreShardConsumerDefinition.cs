using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using SisomCluster.Server.Messaging;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Concurrency and prefetch sit next to the consumer, from <see cref="WorkerOptions"/>. A transient database fault
/// (PostgreSQL restarting, a refused or timed-out connection — while leasing, for instance) is retried with backoff
/// instead of parking the message in the <c>_error</c> queue; a permanent one still parks it, and the coordinator's
/// republish sweep sends the shard again later (ARCHITECTURE.md §3). The endpoint's name is <see cref="SisomQueues.ScoreShard"/>,
/// the queue the coordinator sends to.
/// </summary>
public sealed class ScoreShardConsumerDefinition : ConsumerDefinition<ScoreShardConsumer>
{
    private readonly WorkerOptions _options;

    public ScoreShardConsumerDefinition(IOptions<WorkerOptions> options, SisomQueues queues)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(queues);
        _options = options.Value;
        EndpointName = queues.ScoreShard;
        ConcurrentMessageLimit = _options.Concurrency;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ScoreShardConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = _options.Prefetch;
        endpointConfigurator.UseMessageRetry(r =>
        {
            r.Exponential(8, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
            r.Handle<NpgsqlException>(e => e.IsTransient);
            r.Handle<TimeoutException>();
        });
    }
}
