using System.Diagnostics;
using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;

namespace SisomCluster.Server.Worker;

/// <summary>
/// Compiles the scoring path once at start-up, in the background: a scoring context and a scored batch on a few synthetic
/// rows (2 classes × 64 references, 64-d, fixed α, no KNN: milliseconds of arithmetic). The kernels a ReadyToRun image
/// cannot hold (AVX-512 and <c>Vector&lt;T&gt;</c> code, generic instantiations) are JIT-compiled on first use (optimised at
/// once in the images, which run without tiered compilation: SisomCluster.Server.csproj); without this, that first use
/// was the first shard of the first run, and its JIT time was on the run's clock.
/// </summary>
public sealed partial class ScoringWarmUp(ILogger<ScoringWarmUp> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(
        () =>
        {
            // Only a head start: a failure here must not stop the worker (the first shard compiles what is missing).
            try
            {
                double seconds = Run();
                LogWarmedUp(seconds);
            }
            catch (Exception e)
            {
                LogWarmUpFailed(e);
            }
        },
        stoppingToken);

    /// <summary>Scores the synthetic batch; returns the seconds it took (JIT compilation included).</summary>
    internal static double Run()
    {
        long started = Stopwatch.GetTimestamp();
        const int Classes = 2, PerClass = 64, Dimension = 64, Queries = 64;
        var random = new Random(20261206);
        double[] weights = [.. Enumerable.Range(0, Classes * Dimension).Select(_ => random.NextDouble() - 0.5)];
        var head = new LinearHead(weights, new double[Classes], Classes, Dimension);
        float[] Rows(int rows) => [.. Enumerable.Range(0, rows * Dimension).Select(_ => (float)random.NextDouble())];
        int[] labels = [.. Enumerable.Range(0, Classes * PerClass).Select(i => i % Classes)];
        ScoringContext context = ScoringContext.Build(head, new FeatureMatrix(Rows(labels.Length), labels.Length, Dimension), labels, new ScoringContextOptions { Alpha = 1, ComputeKnn = false });
        SisomScoreBatch batch = new SisomScorer(context).Score(new FeatureMatrix(Rows(Queries), Queries, Dimension));
        if (batch.Count != Queries)
        {
            throw new InvalidOperationException($"The warm-up scored {batch.Count} of {Queries} rows.");
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scoring path compiled at start-up in {Seconds:F2} s")]
    private partial void LogWarmedUp(double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scoring warm-up failed; the first shard compiles the scoring path instead")]
    private partial void LogWarmUpFailed(Exception exception);
}
