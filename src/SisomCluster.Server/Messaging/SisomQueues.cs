using MassTransit;
using SisomCluster.Contracts;

namespace SisomCluster.Server.Messaging;

/// <summary>
/// The names of the cluster's consumer queues, from the one endpoint name formatter (kebab case, <c>Server__QueuePrefix</c>)
/// every role is configured with: the worker's score-shard endpoint takes its name from here, and the coordinator sends
/// <see cref="ScoreShard"/> to the same queue, so the two cannot drift apart. Each name is what the formatter gives the
/// consumer of that message (<c>ScoreShardConsumer</c> → <c>&lt;prefix&gt;-score-shard</c>, the queue KEDA scales on).
/// </summary>
public sealed class SisomQueues
{
    /// <param name="prefix"><c>Server__QueuePrefix</c>: clusters (and tests) sharing one broker keep apart by it.</param>
    public SisomQueues(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        Prefix = prefix;
        Formatter = new KebabCaseEndpointNameFormatter(prefix, includeNamespace: false);

        // A consumer's queue is its formatted type name without "Consumer": ScoreShardConsumer's is the message's.
        ScoreShard = Formatter.Message<ScoreShard>();
        PrepareContext = Formatter.Message<PrepareContext>();
        ContextReady = Formatter.Message<ContextReady>();

        // The aggregator's RunProgressConsumer takes ShardScored and ShardFailed; no message carries its name.
        RunProgress = Formatter.SanitizeName(prefix + "RunProgress");
        Consumers = [ScoreShard, PrepareContext, ContextReady, RunProgress];
    }

    /// <summary><c>Server__QueuePrefix</c>; also the first part of every message-type exchange (<see cref="PrefixedEntityNameFormatter"/>).</summary>
    public string Prefix { get; }

    /// <summary>The formatter the bus is configured with (<c>SetEndpointNameFormatter</c>).</summary>
    public IEndpointNameFormatter Formatter { get; }

    /// <summary>The workers' queue: <c>ScoreShardConsumer</c>'s endpoint, where the coordinator sends each shard.</summary>
    public string ScoreShard { get; }

    /// <summary>The aggregator's queue of <c>PrepareContext</c>, where the coordinator sends each launched run.</summary>
    public string PrepareContext { get; }

    public string ContextReady { get; }

    public string RunProgress { get; }

    /// <summary>Every consumer endpoint of the cluster, whichever process hosts it.</summary>
    public IReadOnlyList<string> Consumers { get; }

    /// <summary>Where MassTransit moves a message whose consumer threw after its retries, per endpoint.</summary>
    public IEnumerable<string> ParkingQueues => Consumers.SelectMany(c => new[] { c + "_error", c + "_skipped" });

    /// <summary>A send address that declares the durable queue (and its exchange and binding) before the first message.</summary>
    public static Uri QueueAddress(string queue) => new("queue:" + queue);
}
