using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>migrate, pool add and labels import against the real PostgreSQL (a schema of their own).</summary>
public sealed class ClusterCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Pool_add_then_labels_import_all_or_nothing()
    {
        Assert.Contains("up to date", CliResult.Run("migrate", "--connection", database.ConnectionString).Stdout, StringComparison.Ordinal);

        FashionMnist data = FashionMnist.Load(train: true, limit: 6);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i}.png"), data.EncodePng(i));
        }

        CliResult add = CliResult.Run("pool", "add", "fashion", pool, "--connection", database.ConnectionString);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("6 items from a directory source", add.Stdout, StringComparison.Ordinal);
        Assert.Equal(6, await database.CountAsync("SELECT count(*) FROM items"));
        Assert.Equal(2, CliResult.Run("pool", "add", "fashion", pool, "--connection", database.ConnectionString).ExitCode);

        File.WriteAllLines(_directory.File("bad.csv"), ["id,label", "img-0.png,1", "img-9.png,2", "img-1.png,shirt", "img-0.png,3"]);
        CliResult bad = CliResult.Run("labels", "import", "--pool", "fashion", _directory.File("bad.csv"), "--connection", database.ConnectionString);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("nothing was imported", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 3:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 4:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 5:", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM labels"));

        File.WriteAllLines(_directory.File("good.csv"), ["id,label", "img-0.png,1", "img-1.png,shirt", "img-2.png,0"]);
        CliResult good = CliResult.Run("labels", "import", "--pool", "fashion", "--class-names", "tshirt,trouser,shirt", _directory.File("good.csv"), "--connection", database.ConnectionString);
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("3 added", good.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM labels WHERE item_id = 'img-1.png' AND label = 2"));

        CliResult start = CliResult.Run("run", "start", "--pool", "fashion", "--budget", "3", "--connection", database.ConnectionString);
        Assert.True(start.ExitCode == 0, start.ToString());
        Guid runId = Guid.Parse(start.Stdout.Trim());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND state = 'pending' AND budget = 3", runId));
        CliResult status = CliResult.Run("run", "status", runId.ToString(), "--connection", database.ConnectionString);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("pending", status.Stdout, StringComparison.Ordinal);
        CliResult unknown = CliResult.Run("run", "start", "--pool", "nope", "--connection", database.ConnectionString);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("No pool named 'nope'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Commands_without_a_database_say_how_to_get_one()
    {
        string? saved = Environment.GetEnvironmentVariable("ConnectionStrings__Sisom");
        Environment.SetEnvironmentVariable("ConnectionStrings__Sisom", null);
        try
        {
            CliResult result = CliResult.Run("migrate");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("services.sh env", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ConnectionStrings__Sisom", saved);
        }
    }
}
