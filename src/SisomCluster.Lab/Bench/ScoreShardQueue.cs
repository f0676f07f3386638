using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace SisomCluster.Lab.Bench;

/// <summary>
/// The workers' ScoreShard queue on the private broker, through a plain AMQP client (no MassTransit): purge it,
/// count what waits in it and in its <c>_error</c> queue, and deliver every ScoreShard twice. MassTransit names the
/// queue <c>PREFIX-score-shard</c> and binds it to an exchange of the same name, through which every ScoreShard
/// reaches it (published or sent).
/// </summary>
internal sealed class ScoreShardQueue(string rabbitMq, string prefix)
{
    private readonly ConnectionFactory _factory = new() { Uri = new Uri(rabbitMq), AutomaticRecoveryEnabled = false };

    public string Name { get; } = prefix + "-score-shard";

    /// <summary>Waits until the workers have declared the queue (after a broker restart too).</summary>
    public async Task WaitForAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await CountAsync(Name, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is OperationInterruptedException or BrokerUnreachableException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Drops every message waiting in the queue (not those a worker holds unacknowledged).</summary>
    /// <returns>How many were dropped.</returns>
    public async Task<uint> PurgeAsync(CancellationToken cancellationToken)
    {
        IConnection connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (channel.ConfigureAwait(false))
            {
                return await channel.QueuePurgeAsync(Name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Messages ready in the queue.</summary>
    public Task<uint> ReadyAsync(CancellationToken cancellationToken) => CountAsync(Name, cancellationToken);

    /// <summary>Messages in the <c>_error</c> queue (0 when MassTransit never created it).</summary>
    public async Task<uint> ErrorsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CountAsync(Name + "_error", cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException)
        {
            return 0;
        }
    }

    /// <summary>
    /// From now until the tap is disposed, every ScoreShard that reaches the queue is delivered twice: a queue of the
    /// harness's own is bound to the queue's exchange, and each message it receives is sent again, body and headers
    /// unchanged, straight to the queue (the default exchange, so the copy is not copied again).
    /// </summary>
    public async Task<DuplicatingTap> DuplicateAsync(CancellationToken cancellationToken)
    {
        IConnection connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        IChannel consume = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        IChannel publish = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await consume.ExchangeDeclarePassiveAsync(Name, cancellationToken).ConfigureAwait(false);
        QueueDeclareOk tap = await consume.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        await consume.QueueBindAsync(tap.QueueName, Name, "", arguments: null, cancellationToken: cancellationToken).ConfigureAwait(false);
        var result = new DuplicatingTap(connection, consume, publish);
        var consumer = new AsyncEventingBasicConsumer(consume);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var properties = new BasicProperties(delivery.BasicProperties);
            await publish.BasicPublishAsync("", Name, mandatory: false, properties, delivery.Body).ConfigureAwait(false);
            await consume.BasicAckAsync(delivery.DeliveryTag, multiple: false).ConfigureAwait(false);
            result.Copied();
        };
        await consume.BasicConsumeAsync(tap.QueueName, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<uint> CountAsync(string queue, CancellationToken cancellationToken)
    {
        IConnection connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            IChannel channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (channel.ConfigureAwait(false))
            {
                QueueDeclareOk ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
                return ok.MessageCount;
            }
        }
    }
}
