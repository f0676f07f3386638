using RabbitMQ.Client;

namespace SisomCluster.Lab.Bench;

/// <summary>The duplicating consumer of <see cref="ScoreShardQueue.DuplicateAsync"/>; disposing it unbinds and deletes its queue.</summary>
internal sealed class DuplicatingTap(IConnection connection, IChannel consume, IChannel publish) : IAsyncDisposable
{
    private int _copies;

    /// <summary>Copies sent to the score-shard queue so far.</summary>
    public int Copies => Volatile.Read(ref _copies);

    internal void Copied() => Interlocked.Increment(ref _copies);

    public async ValueTask DisposeAsync()
    {
        await consume.DisposeAsync().ConfigureAwait(false);
        await publish.DisposeAsync().ConfigureAwait(false);
        await connection.DisposeAsync().ConfigureAwait(false);
    }
}
