using Microsoft.Extensions.DependencyInjection;

namespace SisomCluster.Server.Tests.Messaging;

/// <summary>
/// A background loop's passes, counted: every pass begins with a scope, and this one throws <paramref name="fault"/> (what
/// an outage throws), so a pass ends at once.
/// </summary>
internal sealed class FailingScopes(Func<Exception> fault) : IServiceScopeFactory
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public IServiceScope CreateScope()
    {
        Interlocked.Increment(ref _calls);
        throw fault();
    }
}
