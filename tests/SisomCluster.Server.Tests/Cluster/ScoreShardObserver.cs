using MassTransit;
using SisomCluster.Contracts;

namespace SisomCluster.Server.Tests.Cluster;

/// <summary>
/// Records every <see cref="ScoreShard"/> delivery the host's consumers finished (returned or threw), so that a test waits
/// for a delivery to have been consumed instead of sleeping and hoping (registered with <c>AddConsumeObserver</c>).
/// </summary>
internal sealed class ScoreShardObserver : IConsumeObserver
{
    private readonly List<ConsumedShard> _consumed = [];
    private readonly List<(Func<ConsumedShard, bool> Match, TaskCompletionSource<ConsumedShard> Done)> _waiters = [];

    public Task PreConsume<T>(ConsumeContext<T> context)
        where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context)
        where T : class => Record(context, null);

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
        where T : class => Record(context, exception);

    /// <summary>The first finished delivery (past or future) that <paramref name="match"/> accepts.</summary>
    /// <exception cref="TimeoutException">None within <paramref name="timeout"/>.</exception>
    public async Task<ConsumedShard> WaitAsync(Func<ConsumedShard, bool> match, TimeSpan timeout)
    {
        var done = new TaskCompletionSource<ConsumedShard>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_consumed)
        {
            if (_consumed.Find(c => match(c)) is { } past)
            {
                return past;
            }

            _waiters.Add((match, done));
        }

        try
        {
            return await done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"No matching ScoreShard was consumed within {timeout.TotalSeconds} s.", e);
        }
    }

    private Task Record<T>(ConsumeContext<T> context, Exception? fault)
        where T : class
    {
        if (context.Message is ScoreShard message)
        {
            var consumed = new ConsumedShard(message, context.MessageId, fault, DateTime.UtcNow);
            lock (_consumed)
            {
                _consumed.Add(consumed);
                foreach (var waiter in _waiters.Where(w => w.Match(consumed)).ToList())
                {
                    _waiters.Remove(waiter);
                    waiter.Done.TrySetResult(consumed);
                }
            }
        }

        return Task.CompletedTask;
    }
}
