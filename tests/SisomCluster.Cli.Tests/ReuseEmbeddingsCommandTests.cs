using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Runs;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>run start --reuse-embeddings[=RUN]</c> through a real api role: alone it lets the server pick, with a value it names the run.</summary>
public sealed class ReuseEmbeddingsCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Reuse_embeddings_names_a_run_or_lets_the_server_pick_the_newest_that_stored_them()
    {
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i}.png"), data.EncodePng(i));
        }

        Assert.Equal(0, server.Run(server.WriteKey, "pool", "add", "reuse", pool).ExitCode);

        // A named run that does not exist: the server's 400 names it.
        Guid missing = Guid.NewGuid();
        CliResult refused = server.Run(server.WriteKey, "run", "start", "--pool", "reuse", "--budget", "3", $"--reuse-embeddings={missing}");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"embeddings_from: no run {missing}", refused.Stderr, StringComparison.Ordinal);

        // A completed run of the pool and the built-in model (its version as the server computes it) that stored embeddings.
        string version = DefaultModels.Resolve(DefaultModels.ResNet18Name, _directory.File("models")).Version;
        Guid source = Guid.NewGuid();
        await using (SisomDbContext db = server.Database.CreateDbContext())
        {
            Guid poolId = await db.Pools.Where(p => p.Name == "reuse").Select(p => p.Id).SingleAsync();
            db.Runs.Add(new Run { Id = source, PoolId = poolId, ModelName = "resnet18", ModelVersion = version, State = RunState.Completed, ShardSize = 10, Quantile = 0.95, Budget = 3, StoreEmbeddings = true, CreatedAt = DateTimeOffset.UtcNow, CompletedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        CliResult picked = server.Run(server.WriteKey, "run", "start", "--pool", "reuse", "--budget", "3", "--reuse-embeddings");
        Assert.True(picked.ExitCode == 0, picked.ToString());
        Guid run = Guid.Parse(picked.Stdout.Trim());
        Assert.Equal(1, await server.Database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND embeddings_from = $2", run, source));
        CliResult status = server.Run(server.ReadKey, "run", "status", run.ToString());
        Assert.Contains($"0 re-scored from run {source}'s stored embeddings", status.Stdout, StringComparison.Ordinal);

        CliResult named = server.Run(server.WriteKey, "run", "start", "--pool", "reuse", "--budget", "3", $"--reuse-embeddings={source}");
        Assert.True(named.ExitCode == 0, named.ToString());
        Assert.Equal(1, await server.Database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND embeddings_from = $2", Guid.Parse(named.Stdout.Trim()), source));

        CliResult plain = server.Run(server.WriteKey, "run", "start", "--pool", "reuse", "--budget", "3");
        Assert.Equal(0, await server.Database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND embeddings_from IS NOT NULL", Guid.Parse(plain.Stdout.Trim())));
    }
}
