using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary><c>sisom run start --no-knn</c> and <c>sisom round --no-knn</c> through a real api role (ApiServerFixture): the run row says so, and --ood-score knn is refused.</summary>
public sealed class RunNoKnnCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Run_start_no_knn_records_a_run_without_knn_flagged_by_sisom_unless_told_and_refuses_ood_score_knn()
    {
        DatabaseFixture database = server.Database;
        FashionMnist data = FashionMnist.Load(train: true, limit: 3);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i}.png"), data.EncodePng(i));
        }

        CliResult add = server.Run(server.WriteKey, "pool", "add", "plain", pool);
        Assert.True(add.ExitCode == 0, add.ToString());

        CliResult start = server.Run(server.WriteKey, "run", "start", "--pool", "plain", "--budget", "3", "--no-knn");
        Assert.True(start.ExitCode == 0, start.ToString());
        Guid runId = Guid.Parse(start.Stdout.Trim());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND NOT knn AND ood_score = 'sisom'", runId));
        CliResult status = server.Run(server.ReadKey, "run", "status", runId.ToString()[..8]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("OOD by sisom (no KNN)", status.Stdout, StringComparison.Ordinal);

        CliResult energy = server.Run(server.WriteKey, "run", "start", "--pool", "plain", "--budget", "3", "--no-knn", "--ood-score", "energy");
        Assert.True(energy.ExitCode == 0, energy.ToString());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND NOT knn AND ood_score = 'energy'", Guid.Parse(energy.Stdout.Trim())));

        CliResult plain = server.Run(server.WriteKey, "run", "start", "--pool", "plain", "--budget", "3");
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND knn AND ood_score = 'knn'", Guid.Parse(plain.Stdout.Trim())));

        CliResult refused = server.Run(server.WriteKey, "run", "start", "--pool", "plain", "--budget", "3", "--no-knn", "--ood-score", "knn");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("ood_score: 'knn' needs the KNN baseline", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, await database.CountAsync("SELECT count(*) FROM runs"));

        // A round's run likewise.
        File.WriteAllLines(_directory.File("labels.csv"), ["id,label", "img-0.png,0", "img-1.png,1"]);
        CliResult round = server.Run(server.WriteKey, "round", "--pool", "plain", "--labels", _directory.File("labels.csv"), "--budget", "3", "--round-id", "plain-1", "--no-knn");
        Assert.True(round.ExitCode == 0, round.ToString());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM rounds o JOIN runs r ON r.id = o.run_id WHERE o.id = 'plain-1' AND NOT r.knn AND r.ood_score = 'sisom'"));
    }
}
