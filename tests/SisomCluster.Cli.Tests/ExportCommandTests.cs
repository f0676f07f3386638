using Microsoft.EntityFrameworkCore;
using SisomCluster.Core.Baselines;
using SisomCluster.Core.Scoring;
using SisomCluster.Data;
using SisomCluster.Data.Results;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// <c>sisom export</c> against a real api role: the file it writes is the server's Parquet export byte for byte
/// (the export's content is checked by an independent reader in Server.Tests' ParquetExportTests), and bad requests
/// are one-line errors.
/// </summary>
public sealed class ExportCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Export_writes_the_servers_parquet_file_for_scores_and_selection()
    {
        Guid runId = await CompletedRunAsync(items: 12);

        CliResult scores = Cli("export", runId.ToString()[..8], "--out", _directory.File("scores.parquet"));
        Assert.True(scores.ExitCode == 0, scores.ToString());
        byte[] file = await File.ReadAllBytesAsync(_directory.File("scores.parquet"));
        Assert.Contains($"({file.Length} bytes)", scores.Stdout, StringComparison.Ordinal);
        Assert.Equal(await DirectAsync($"runs/{runId:D}/scores.parquet"), file);
        Assert.Equal("PAR1"u8.ToArray(), file[..4]);
        Assert.Equal("PAR1"u8.ToArray(), file[^4..]);

        CliResult withEmbeddings = Cli("export", runId.ToString(), "--out", _directory.File("embedded.parquet"), "--embeddings");
        Assert.True(withEmbeddings.ExitCode == 0, withEmbeddings.ToString());
        Assert.Equal(await DirectAsync($"runs/{runId:D}/scores.parquet?embeddings=true"), await File.ReadAllBytesAsync(_directory.File("embedded.parquet")));
        Assert.True(new FileInfo(_directory.File("embedded.parquet")).Length > file.Length);

        CliResult selection = Cli("export", runId.ToString(), "--out", _directory.File("selection.parquet"), "--selection");
        Assert.True(selection.ExitCode == 0, selection.ToString());
        Assert.Contains("wrote the selection", selection.Stdout, StringComparison.Ordinal);
        Assert.Equal(await DirectAsync($"runs/{runId:D}/selection.parquet"), await File.ReadAllBytesAsync(_directory.File("selection.parquet")));
    }

    [Fact]
    public async Task Export_of_an_unknown_or_unfinished_run_or_of_missing_embeddings_is_a_one_line_error_and_writes_nothing()
    {
        Guid unknown = Guid.NewGuid();
        CliResult missing = Cli("export", unknown.ToString(), "--out", _directory.File("x.parquet"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal([$"error: no run {unknown} (sisom run list shows the runs)."], missing.StderrLines);

        Guid running = await Seed.RunAsync(server.Database, await Seed.PoolAsync(server.Database));
        CliResult early = Cli("export", running.ToString(), "--out", _directory.File("x.parquet"));
        Assert.Equal(2, early.ExitCode);
        Assert.Contains("is pending", early.Stderr, StringComparison.Ordinal);

        Guid plain = await CompletedRunAsync(items: 3, storeEmbeddings: false);
        CliResult noEmbeddings = Cli("export", plain.ToString(), "--out", _directory.File("x.parquet"), "--embeddings");
        Assert.NotEqual(0, noEmbeddings.ExitCode);
        Assert.Contains("did not store embeddings", noEmbeddings.Stderr, StringComparison.Ordinal);
        Assert.Contains("HTTP 409", noEmbeddings.Stderr, StringComparison.Ordinal);

        Assert.Equal(2, Cli("export", plain.ToString(), "--out", _directory.File("x.parquet"), "--embeddings", "--selection").ExitCode);
        Assert.Equal(2, Cli("export", plain.ToString()).ExitCode);
        Assert.False(File.Exists(_directory.File("x.parquet")));
    }

    private CliResult Cli(params string[] args) => server.Run(server.ReadKey, args);

    private async Task<byte[]> DirectAsync(string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/" + path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.ReadKey);
        using HttpResponseMessage response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    private async Task<Guid> CompletedRunAsync(int items, bool storeEmbeddings = true)
    {
        string[] ids = [.. Enumerable.Range(0, items).Select(i => $"img-{i:D2}.png")];
        Guid poolId = await Seed.PoolAsync(server.Database, ids);
        Guid contextId = await Seed.ContextAsync(server.Database, poolId);
        Guid runId = await Seed.RunAsync(server.Database, poolId, itemsPerShard: items);
        DateTimeOffset at = new(2026, 11, 20, 10, 30, 0, TimeSpan.Zero);
        LogitBaselines baselines = LogitBaselines.Compute([3f, 1f, 0.5f]);
        List<ItemScoreRow> rows = [.. ids.Select((id, i) => new ItemScoreRow
        {
            ItemId = id,
            ContextId = contextId,
            Score = new SisomItemScore(i % 3, 0, 1.0 + i, 2.0, 0.5, i / 10.0, i / 20.0, i / 30.0, baselines, i % 4 == 0, false, false, false, false, false),
            NearestReference = ids[0],
            ScoredAt = at,
            Embedding = storeEmbeddings ? [1f, i, 0.5f, -i] : null,
        })];
        await new ShardResultWriter(server.Database.DataSource).CommitAsync(runId, 0, 1, rows, []);
        await using SisomDbContext db = server.Database.CreateDbContext();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(u => u.SetProperty(r => r.State, RunState.Completed).SetProperty(r => r.ContextId, contextId).SetProperty(r => r.StoreEmbeddings, storeEmbeddings));
        db.Selections.Add(new Selection { RunId = runId, Rank = 1, ItemId = ids[^1], Score = 0.9, OriginalScore = 0.9, Predicted = 2, Reason = "top_score", CreatedAt = at });
        await db.SaveChangesAsync();
        return runId;
    }
}
