using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Monitoring;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// Drift across the runs of a pool (<c>GET /api/v1/pools/{pool}/drift</c>, <c>sisom drift --pool</c>) over drift points
/// stored as the finaliser writes them, for runs that completed on different days: each bucket is counted from the newest
/// completed run that scored it; running runs and other pools are left out; the intervals are Wilson 95 % intervals
/// checked against values computed by hand (p̂ ± z·√(p̂(1−p̂)/n + z²/4n²), centred at (p̂ + z²/2n), over 1 + z²/n).
/// </summary>
public sealed class PoolDriftCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private readonly DatabaseFixture _database = server.Database;

    [Fact]
    public async Task Days_take_the_newest_completed_run_that_scored_them_with_wilson_intervals()
    {
        (string pool, Guid a, Guid b, Guid d) = await PoolWithRunsAsync();

        CliResult days = Cli("drift", "--pool", pool, "--by", "day");
        Assert.True(days.ExitCode == 0, days.ToString());
        string[][] rows = Rows(days);
        Assert.Equal("kind\tbucket\tscored\tflagged\trate\tlower\tupper\texpected\tdrift\trun\truns", string.Join('\t', rows[0]));
        Assert.Equal(["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"], rows.Skip(1).Select(r => r[1]));

        // 19th: only run A scored it; its two hours sum to 15 of 150. Wilson by hand: [0.061541, 0.158435], which excludes 1 - q = 0.05.
        AssertRow(rows[1], "day", 150, 15, 0.1, 0.061541, 0.158435, drift: true, a, runs: 1);

        // 20th: A (20 of 200) and B (60 of 300) both scored it; B completed later, so B's counts alone, not 80 of 500.
        AssertRow(rows[2], "day", 300, 60, 0.2, 0.158657, 0.248929, drift: true, b, runs: 2);

        // 21st: B's 12 of 40; the running run C, which also scored it, does not count (nor in runs).
        AssertRow(rows[3], "day", 40, 12, 0.3, 0.180748, 0.454300, drift: true, b, runs: 1);

        // 22nd: run D, which counted the sisom flag.
        AssertRow(rows[4], "day", 10, 10, 1.0, 0.722467, 1.0, drift: true, d, runs: 1);

        // --score keeps the runs that counted that flag; --from/--to bound the hours.
        CliResult knn = Cli("drift", "--pool", pool, "--score", "knn");
        Assert.True(knn.ExitCode == 0, knn.ToString());
        Assert.Equal(["2026-11-19", "2026-11-20", "2026-11-21"], Rows(knn).Skip(1).Select(r => r[1]));
        CliResult window = Cli("drift", "--pool", pool, "--from", "2026-11-19T11:00:00Z", "--to", "2026-11-21");
        Assert.True(window.ExitCode == 0, window.ToString());
        string[][] windowRows = Rows(window);
        Assert.Equal(["2026-11-19", "2026-11-20"], windowRows.Skip(1).Select(r => r[1]));
        AssertRow(windowRows[1], "day", 50, 5, 0.1, 0.043476, 0.213602, drift: false, a, runs: 1);

        CliResult table = Cli("drift", "--pool", pool, "--format", "table");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Matches(@"(?m)^day\s+2026-11-20\s+300\s+60\s+20\.0%\s+15\.9%\s+24\.9%\s+5\.0%\s+yes\s+" + b.ToString()[..8] + @"\s+2$", table.Stdout);
    }

    [Fact]
    public async Task Sources_take_the_newest_completed_run_and_to_bounds_the_runs_completion()
    {
        (string pool, Guid a, Guid b, Guid d) = await PoolWithRunsAsync();

        string[][] rows = Rows(Cli("drift", "--pool", pool, "--by", "source"));
        Assert.Equal(["s1", "s2", "s3"], rows.Skip(1).Select(r => r[1]));
        AssertRow(rows[1], "source", 340, 72, 72.0 / 340, 0.171681, 0.258289, drift: true, b, runs: 2);
        AssertRow(rows[2], "source", 100, 10, 0.1, 0.055229, 0.174366, drift: true, a, runs: 1);
        AssertRow(rows[3], "source", 10, 10, 1.0, 0.722467, 1.0, drift: true, d, runs: 1);

        // Runs completed before the 21st: only A.
        string[][] before = Rows(Cli("drift", "--pool", pool, "--by", "source", "--to", "2026-11-21"));
        Assert.Equal(["s1", "s2"], before.Skip(1).Select(r => r[1]));
        AssertRow(before[1], "source", 250, 25, 0.1, 0.068655, 0.143452, drift: true, a, runs: 1);
    }

    [Fact]
    public async Task The_api_pages_by_bucket_and_refuses_bad_input_by_name()
    {
        (string pool, _, Guid b, _) = await PoolWithRunsAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", server.ReadKey);

        var buckets = new List<string>();
        string? token = null;
        do
        {
            JsonElement page = await http.GetFromJsonAsync<JsonElement>($"/api/v1/pools/{pool}/drift?bucket=day&page_size=1" + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)));
            JsonElement item = Assert.Single(page.GetProperty("items").EnumerateArray());
            buckets.Add(item.GetProperty("bucket").GetString()!);
            if (buckets.Count == 2)
            {
                Assert.Equal(b, item.GetProperty("run_id").GetGuid());
                Assert.Equal(0.05, item.GetProperty("expected").GetDouble(), 9);
                Assert.Equal("knn", item.GetProperty("ood_score").GetString());
                Assert.Equal(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero), item.GetProperty("run_completed_at").GetDateTimeOffset());
            }

            token = page.GetProperty("next_page_token").GetString();
        }
        while (token is not null);
        Assert.Equal(["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"], buckets);

        foreach ((string query, string field) in new[] { ("bucket=week", "bucket"), ("from=yesterday", "from"), ("from=2026-11-21&to=2026-11-20", "from"), ("score=msp", "score") })
        {
            using HttpResponseMessage bad = await http.GetAsync(new Uri($"/api/v1/pools/{pool}/drift?{query}", UriKind.Relative));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.StartsWith(field + ":", (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using HttpResponseMessage missing = await http.GetAsync(new Uri("/api/v1/pools/no-such-pool/drift", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        CliResult unknown = Cli("drift", "--pool", "no-such-pool");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no pool named 'no-such-pool'", unknown.Stderr, StringComparison.Ordinal);
        CliResult both = Cli("drift", Guid.NewGuid().ToString(), "--pool", pool);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("either RUN", both.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, Cli("drift").ExitCode);
        Assert.Equal(2, Cli("drift", "--pool", pool, "--by", "week").ExitCode);
        Assert.Equal(2, Cli("drift", "--pool", pool, "--kind", "hour").ExitCode);
        Assert.Equal(2, Cli("drift", "--pool", pool, "--from", "last-week").ExitCode);
    }

    private static void AssertRow(string[] row, string kind, long scored, long flagged, double rate, double lower, double upper, bool drift, Guid run, int runs)
    {
        Assert.Equal(kind, row[0]);
        Assert.Equal(scored, long.Parse(row[2], CultureInfo.InvariantCulture));
        Assert.Equal(flagged, long.Parse(row[3], CultureInfo.InvariantCulture));
        Assert.Equal(rate, double.Parse(row[4], CultureInfo.InvariantCulture), tolerance: 1e-9);
        Assert.Equal(lower, double.Parse(row[5], CultureInfo.InvariantCulture), tolerance: 1e-6);
        Assert.Equal(upper, double.Parse(row[6], CultureInfo.InvariantCulture), tolerance: 1e-6);
        Assert.Equal(drift ? "yes" : "no", row[8]);
        Assert.Equal(run.ToString(), row[9]);
        Assert.Equal(runs, int.Parse(row[10], CultureInfo.InvariantCulture));
    }

    private static string[][] Rows(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))];
    }

    private CliResult Cli(params string[] args) => server.Run(server.ReadKey, args);

    /// <summary>
    /// A pool with runs A (completed 20 Nov, knn), B (completed 21 Nov, knn), C (still running) and D (completed 22 Nov,
    /// sisom), and a completed run of another pool that scored the same day and source.
    /// </summary>
    private async Task<(string Pool, Guid A, Guid B, Guid D)> PoolWithRunsAsync()
    {
        Guid poolId = await Seed.PoolAsync(_database);
        Guid a = await CompletedAsync(poolId, new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero), "knn",
            Hour("2026-11-19T10:00Z", 100, 10), Hour("2026-11-19T11:00Z", 50, 5), Hour("2026-11-20T09:00Z", 200, 20), Source("s1", 250, 25), Source("s2", 100, 10));
        Guid b = await CompletedAsync(poolId, new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero), "knn",
            Hour("2026-11-20T09:00Z", 300, 60), Hour("2026-11-21T08:00Z", 40, 12), Source("s1", 340, 72));
        Guid c = await CompletedAsync(poolId, null, "knn", Hour("2026-11-21T08:00Z", 999, 999), Source("s1", 999, 999));
        Guid d = await CompletedAsync(poolId, new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero), "sisom", Hour("2026-11-22T00:00Z", 10, 10), Source("s3", 10, 10));

        // An incremental run completed last: it scored only the items new since B, so it is left out of the cross-run
        // view (its 5 items would otherwise replace B's 300 for the 20th and B's 340 for s1).
        Guid e = await CompletedAsync(poolId, new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), "knn", Hour("2026-11-20T09:00Z", 5, 5), Source("s1", 5, 5));
        await using (SisomDbContext incremental = _database.CreateDbContext())
        {
            await incremental.Runs.Where(r => r.Id == e).ExecuteUpdateAsync(u => u.SetProperty(r => r.Options, RunRequests.IncrementalOptions));
        }

        Guid other = await Seed.PoolAsync(_database);
        await CompletedAsync(other, new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), "knn", Hour("2026-11-19T10:00Z", 7, 7), Source("s1", 7, 7));
        await using SisomDbContext db = _database.CreateDbContext();
        Assert.Equal(RunState.Running, (await db.Runs.SingleAsync(r => r.Id == c)).State);
        return (await db.Pools.Where(p => p.Id == poolId).Select(p => p.Name).SingleAsync(), a, b, d);
    }

    private static DriftPoint Hour(string bucket, long scored, long flagged) => new() { BucketKind = DriftBucketKind.Hour, Bucket = bucket, Scored = scored, Flagged = flagged };

    private static DriftPoint Source(string bucket, long scored, long flagged) => new() { BucketKind = DriftBucketKind.Source, Bucket = bucket, Scored = scored, Flagged = flagged };

    /// <param name="completedAt">Null leaves the run running.</param>
    private async Task<Guid> CompletedAsync(Guid poolId, DateTimeOffset? completedAt, string oodScore, params DriftPoint[] points)
    {
        Guid runId = await Seed.RunAsync(_database, poolId);
        await using SisomDbContext db = _database.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u
            .SetProperty(r => r.State, completedAt is null ? RunState.Running : RunState.Completed)
            .SetProperty(r => r.CompletedAt, completedAt)
            .SetProperty(r => r.OodScore, oodScore));

        // Stored as the finaliser stores them: counts with the run's own per-bucket Wilson interval.
        foreach (DriftPoint p in points)
        {
            Core.Evaluation.WilsonInterval w = Core.Evaluation.WilsonInterval.Compute(p.Flagged, p.Scored);
            db.DriftPoints.Add(new DriftPoint { RunId = runId, BucketKind = p.BucketKind, Bucket = p.Bucket, Scored = p.Scored, Flagged = p.Flagged, Rate = w.Rate, Lower = w.Lower, Upper = w.Upper });
        }

        await db.SaveChangesAsync();
        return runId;
    }
}
