using System.Diagnostics;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Compiles the scoring path once at start-up, in the background (<see cref="KernelWarmUp"/>: a scoring context and a
/// scored batch on a few synthetic rows, no KNN: milliseconds of arithmetic). The kernels a ReadyToRun image
/// cannot hold (AVX-512 and <c>Vector&lt;T&gt;</c> code, generic instantiations) are JIT-compiled on first use (optimised at
/// once in the images, which run without tiered compilation: SisomCluster.Server.csproj); without this, that first use
/// was the first shard of the first run, and its JIT time was on the run's clock. Then the database path: the lease
/// update and the queries a shard begins with (<see cref="WorkerQueries"/>), run for an id that does not exist — they
/// change nothing — so EF Core's model and those queries are compiled before the first shard (in a fresh worker ~1 s
/// passed between a shard's message and its first query).
/// </summary>
public sealed partial class ScoringWarmUp(IServiceScopeFactory scopes, ILogger<ScoringWarmUp> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(
        async () =>
        {
            // Only a head start: a failure here must not stop the worker (the first shard compiles what is missing).
            try
            {
                double seconds = KernelWarmUp.Run();
                LogWarmedUp(seconds);
                double database = await WarmDatabaseAsync(scopes, stoppingToken).ConfigureAwait(false);
                LogDatabaseWarmedUp(database);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopped before it finished.
            }
            catch (Exception e)
            {
                LogWarmUpFailed(e);
            }
        },
        stoppingToken);

    /// <summary>The lease update and a shard's first queries for an id no run has (nothing matches, nothing changes); returns the seconds.</summary>
    internal static async Task<double> WarmDatabaseAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using IServiceScope scope = scopes.CreateScope();
        SisomDbContext db = scope.ServiceProvider.GetRequiredService<SisomDbContext>();
        ShardLeases leases = scope.ServiceProvider.GetRequiredService<ShardLeases>();
        Guid nothing = Guid.Empty;
        if (await leases.LeaseAsync(nothing, 0, 0, "warm-up", TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false) is not null
            || await WorkerQueries.RunAsync(db, nothing, cancellationToken).ConfigureAwait(false) is not null
            || await WorkerQueries.PoolAsync(db, nothing, cancellationToken).ConfigureAwait(false) is not null
            || await WorkerQueries.ShardCountAsync(db, nothing, cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new InvalidOperationException("The warm-up's id matched a row; it must match none.");
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scoring path compiled at start-up in {Seconds:F2} s")]
    private partial void LogWarmedUp(double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database path compiled at start-up in {Seconds:F2} s")]
    private partial void LogDatabaseWarmedUp(double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warm-up failed; the first shard compiles what it did not")]
    private partial void LogWarmUpFailed(Exception exception);
}
