using System.Diagnostics;
using SisomCluster.Data.Results;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Data.Tests.Results;

/// <summary>
/// Measures the COPY commit rate and prints it (test output / trx). Timing is reported, never asserted (STYLE.md "Tests");
/// the test runs alone so other test classes do not share the two cores while it measures.
/// </summary>
[Collection(MeasuredAlone.Name)]
public sealed class CommitThroughputTests
{
    private const int Rows = 100_000;

    private readonly DatabaseFixture _fixture;
    private readonly ITestOutputHelper _output;

    public CommitThroughputTests(DatabaseFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        _output = output;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(512)]
    public async Task Commit_of_100k_rows_reports_its_rate(int dimension)
    {
        Guid poolId = await Seed.PoolAsync(_fixture);
        Guid contextId = await Seed.ContextAsync(_fixture, poolId);
        Guid runId = await Seed.RunAsync(_fixture, poolId, shards: 2, itemsPerShard: Rows);
        var writer = new ShardResultWriter(_fixture.DataSource);

        // A small shard first, so that connection, type loading and plan caching are not in the measurement.
        await writer.CommitAsync(runId, 1, 1, ScoreRows.Make(contextId, 100, dimension, prefix: "warm"), []);
        List<ItemScoreRow> rows = ScoreRows.Make(contextId, Rows, dimension);

        var clock = Stopwatch.StartNew();
        ShardCommitOutcome outcome = await writer.CommitAsync(runId, 0, 1, rows, []);
        clock.Stop();

        Assert.Equal(new ShardCommitOutcome(ShardCommitStatus.Committed, Rows, 0), outcome);
        Assert.Equal(Rows + 100, await _fixture.CountAsync("SELECT count(*) FROM item_scores WHERE run_id = $1", runId));
        string line = FormattableString.Invariant(
            $"COPY commit: {Rows} item_scores rows, embedding dimension {dimension}: {clock.Elapsed.TotalSeconds:F2} s, {Rows / clock.Elapsed.TotalSeconds:F0} rows/s");
        _output.WriteLine(line);
        Console.WriteLine(line);
    }
}
