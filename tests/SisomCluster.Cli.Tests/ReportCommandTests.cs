using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>select, thresholds and drift read, through the API, what the aggregator stored for a run (rows written here as the finaliser writes them).</summary>
public sealed class ReportCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly DatabaseFixture _database = server.Database;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Select_prints_the_stored_selection_in_rank_order_as_csv_or_json()
    {
        Guid runId = await CompletedRunAsync();
        CliResult csv = Cli("select", runId.ToString());
        Assert.True(csv.ExitCode == 0, csv.ToString());
        Assert.Equal(
            [
                "rank,item_id,score,original_score,predicted,reason",
                "1,img-7.png,0.9,0.9,2,top_score",
                "2,\"odd,name \"\"x\"\".png\",0.75,0.8,1,diversity",
                "3,img-1.png,0.5,0.5,0,class_balance",
            ],
            csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        CliResult json = Cli("select", runId.ToString(), "--format", "json", "--out", _directory.File("selection.json"));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains("wrote 3 selected items", json.Stdout, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllText(_directory.File("selection.json")));
        JsonElement[] rows = [.. document.RootElement.EnumerateArray()];
        Assert.Equal(["img-7.png", "odd,name \"x\".png", "img-1.png"], rows.Select(r => r.GetProperty("item_id").GetString()));
        Assert.Equal(0.8, rows[1].GetProperty("original_score").GetDouble());
        Assert.Equal("diversity", rows[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Thresholds_and_drift_print_tsv_when_not_on_a_terminal_and_tables_when_asked()
    {
        Guid runId = await CompletedRunAsync();
        CliResult thresholds = Cli("thresholds", runId.ToString());
        Assert.True(thresholds.ExitCode == 0, thresholds.ToString());
        string[] lines = thresholds.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("score\tq\tn\tthreshold\tmodel\treference\tcreated", lines[0]);
        Assert.StartsWith("sisom\t0.95\t150\t1.25\tsha256:model\tsha256:refs\t", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("sisome\t0.95\t150\t-3.5\t", lines[2], StringComparison.Ordinal);
        Assert.Equal(3, lines.Length);

        CliResult drift = Cli("drift", runId.ToString(), "--kind", "source");
        Assert.True(drift.ExitCode == 0, drift.ToString());
        Assert.Equal(
            [
                "kind\tbucket\tscored\tflagged\trate\tlower\tupper\tdrift",
                "source\tcrawl-a\t400\t20\t0.05\t0.03\t0.08\tno",
                "source\tcrawl-b\t400\t120\t0.3\t0.26\t0.35\tyes",
            ],
            drift.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        CliResult both = Cli("drift", runId.ToString(), "--format", "table");
        Assert.True(both.ExitCode == 0, both.ToString());
        string[] table = both.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^kind\s+bucket\s+scored\s+flagged\s+rate\s+lower\s+upper\s+drift$", table[0]);
        Assert.Matches(@"^hour\s+2026-11-20T09:00Z\s+10\s+1\s+10\.0%\s+1\.8%\s+40\.4%\s+no$", table[2]);
        Assert.Matches(@"^hour\s+2026-11-20T10:00Z\s+800\s+140\s+17\.5%\s+15\.0%\s+20\.5%\s+yes$", table[3]);
        Assert.Matches(@"^source\s+crawl-b\s+400\s+120\s+30\.0%", table[5]);
        Assert.Contains("1 - q = 5.0%", both.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_of_an_unknown_or_unfinished_run_are_one_line_errors()
    {
        Guid unknown = Guid.NewGuid();
        CliResult missing = Cli("thresholds", unknown.ToString());
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal([$"error: no run {unknown} (sisom run list shows the runs)."], missing.StderrLines);

        Guid running = await Seed.RunAsync(_database, await Seed.PoolAsync(_database));
        CliResult early = Cli("select", running.ToString());
        Assert.Equal(2, early.ExitCode);
        Assert.Equal([$"error: run {running} is pending: its selection is written when it completes (follow it with: sisom run watch {running.ToString()[..8]})."], early.StderrLines);

        CliResult badKind = Cli("drift", running.ToString(), "--kind", "day");
        Assert.Equal(2, badKind.ExitCode);
        Assert.Contains("--kind", badKind.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Cli("select", "not-a-guid").ExitCode);
        Assert.Equal(2, Cli("select", "3f2c").ExitCode);
        Assert.Equal(2, Cli("select").ExitCode);
    }

    private CliResult Cli(params string[] args) => server.Run(server.ReadKey, args);

    private async Task<Guid> CompletedRunAsync()
    {
        Guid poolId = await Seed.PoolAsync(_database);
        Guid contextId = await Seed.ContextAsync(_database, poolId);
        Guid runId = await Seed.RunAsync(_database, poolId);
        DateTimeOffset at = new(2026, 11, 20, 10, 30, 0, TimeSpan.Zero);
        await using SisomDbContext db = _database.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Completed).SetProperty(r => r.ContextId, contextId));

        // Inserted out of rank order: the command orders.
        db.Selections.AddRange(
            new Selection { RunId = runId, Rank = 3, ItemId = "img-1.png", Score = 0.5, OriginalScore = 0.5, Predicted = 0, Reason = "class_balance", CreatedAt = at },
            new Selection { RunId = runId, Rank = 1, ItemId = "img-7.png", Score = 0.9, OriginalScore = 0.9, Predicted = 2, Reason = "top_score", CreatedAt = at },
            new Selection { RunId = runId, Rank = 2, ItemId = "odd,name \"x\".png", Score = 0.75, OriginalScore = 0.8, Predicted = 1, Reason = "diversity", CreatedAt = at });
        db.Thresholds.AddRange(
            new Threshold { RunId = runId, ContextId = contextId, ScoreKind = "sisome", Quantile = 0.95, N = 150, Value = -3.5, ModelVersion = "sha256:model", ReferenceVersion = "sha256:refs", CreatedAt = at },
            new Threshold { RunId = runId, ContextId = contextId, ScoreKind = "sisom", Quantile = 0.95, N = 150, Value = 1.25, ModelVersion = "sha256:model", ReferenceVersion = "sha256:refs", CreatedAt = at });
        db.DriftPoints.AddRange(
            new DriftPoint { RunId = runId, BucketKind = DriftBucketKind.Source, Bucket = "crawl-b", Scored = 400, Flagged = 120, Rate = 0.3, Lower = 0.26, Upper = 0.35 },
            new DriftPoint { RunId = runId, BucketKind = DriftBucketKind.Source, Bucket = "crawl-a", Scored = 400, Flagged = 20, Rate = 0.05, Lower = 0.03, Upper = 0.08 },
            new DriftPoint { RunId = runId, BucketKind = DriftBucketKind.Hour, Bucket = "2026-11-20T10:00Z", Scored = 800, Flagged = 140, Rate = 0.175, Lower = 0.15, Upper = 0.205 },
            new DriftPoint { RunId = runId, BucketKind = DriftBucketKind.Hour, Bucket = "2026-11-20T09:00Z", Scored = 10, Flagged = 1, Rate = 0.1, Lower = 0.018, Upper = 0.404 });
        await db.SaveChangesAsync();
        return runId;
    }
}
