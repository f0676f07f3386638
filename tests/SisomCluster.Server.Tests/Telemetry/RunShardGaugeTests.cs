using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Data;
using SisomCluster.Data.Pools;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Server.Telemetry;
using Xunit;

namespace SisomCluster.Server.Tests.Telemetry;

/// <summary><c>sisom_run_shards{run,state}</c> from the real shards table, and the bounds of the OOD counters.</summary>
public sealed class RunShardGaugeTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Running_runs_report_every_state_with_zeros_and_finished_runs_drop_out()
    {
        Guid poolId = Guid.NewGuid();
        Guid running = Guid.NewGuid();
        Guid idle = Guid.NewGuid();
        Guid completed = Guid.NewGuid();
        await using (SisomDbContext db = database.CreateDbContext())
        {
            db.Pools.Add(new Pool { Id = poolId, Name = "gauge", SourceKind = "embeddings", SourceUri = "/nowhere.npy", CreatedAt = DateTimeOffset.UtcNow, ItemCount = 10 });
            db.Runs.Add(NewRun(running, poolId, RunState.Running));
            db.Runs.Add(NewRun(idle, poolId, RunState.Running));
            db.Runs.Add(NewRun(completed, poolId, RunState.Completed));
            ShardState[] states = [ShardState.Done, ShardState.Done, ShardState.Leased, ShardState.Pending, ShardState.Failed, ShardState.Done];
            for (int i = 0; i < states.Length; i++)
            {
                db.Shards.Add(new Shard { RunId = running, ShardId = i, State = states[i], ItemCount = 1 });
                db.Shards.Add(new Shard { RunId = completed, ShardId = i, State = ShardState.Done, ItemCount = 1 });
            }

            await db.SaveChangesAsync();
        }

        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new SisomMetrics(services.GetRequiredService<IMeterFactory>());
        IReadOnlyList<RunShardCount> counts = await new RunShardGauge(database.DataSource, metrics).RecordAsync(CancellationToken.None);

        // Other tests' hosts publish the same meter in this process: only this test's runs are looked at.
        string[] mine = [running.ToString(), idle.ToString(), completed.ToString()];
        Dictionary<(string Run, string State), long> observed = Observe(metrics).Where(o => mine.Contains(o.Key.Run)).ToDictionary();
        Assert.Equal(8, observed.Count);
        Assert.Equal(8, counts.Count);
        Assert.Equal(3, observed[(running.ToString(), "done")]);
        Assert.Equal(1, observed[(running.ToString(), "leased")]);
        Assert.Equal(1, observed[(running.ToString(), "pending")]);
        Assert.Equal(1, observed[(running.ToString(), "failed")]);
        Assert.All(RunShardGauge.States, state => Assert.Equal(0, observed[(idle.ToString(), state)]));
        Assert.DoesNotContain(observed.Keys, k => k.Run == completed.ToString());

        // The run finishes: its series go with the next pass.
        await using (SisomDbContext db = database.CreateDbContext())
        {
            Run run = await db.Runs.FindAsync(running) ?? throw new InvalidOperationException("run");
            run.State = RunState.Completed;
            await db.SaveChangesAsync();
        }

        await new RunShardGauge(database.DataSource, metrics).RecordAsync(CancellationToken.None);
        Assert.DoesNotContain(Observe(metrics).Keys, k => k.Run == running.ToString());
    }

    [Theory]
    [InlineData(10, 11, 0.95)]
    [InlineData(10, -1, 0.95)]
    [InlineData(10, 1, 1.0)]
    [InlineData(10, 1, 0.0)]
    public void Ood_counts_outside_their_bounds_are_refused(int poolItems, int flagged, double quantile)
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new SisomMetrics(services.GetRequiredService<IMeterFactory>());
        Assert.Throws<ArgumentOutOfRangeException>(() => metrics.OodItems(Guid.NewGuid(), poolItems, flagged, quantile));
    }

    private static Run NewRun(Guid id, Guid poolId, RunState state) =>
        new() { Id = id, PoolId = poolId, ModelName = "resnet18", ModelVersion = "v", State = state, ShardSize = 1, Quantile = 0.95, Budget = 1, CreatedAt = DateTimeOffset.UtcNow };

    private static Dictionary<(string Run, string State), long> Observe(SisomMetrics metrics)
    {
        _ = metrics;
        var observed = new Dictionary<(string, string), long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SisomTelemetry.MeterName && instrument.Name == "sisom.run.shards")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string run = "", state = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "run")
                {
                    run = (string)tag.Value!;
                }
                else if (tag.Key == "state")
                {
                    state = (string)tag.Value!;
                }
            }

            observed[(run, state)] = value;
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return observed;
    }
}
