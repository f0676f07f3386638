using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>pool add, labels import and run start/list/status through a real api role (ApiServerFixture).</summary>
public sealed class ClusterCommandTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Pool_add_then_labels_import_all_or_nothing()
    {
        DatabaseFixture database = server.Database;
        FashionMnist data = FashionMnist.Load(train: true, limit: 6);
        string pool = Directory.CreateDirectory(_directory.File("pool")).FullName;
        for (int i = 0; i < data.Count; i++)
        {
            File.WriteAllBytes(Path.Combine(pool, $"img-{i}.png"), data.EncodePng(i));
        }

        CliResult add = server.Run(server.WriteKey, "pool", "add", "fashion", pool);
        Assert.True(add.ExitCode == 0, add.ToString());
        Assert.Contains("6 items from a directory source", add.Stdout, StringComparison.Ordinal);
        Assert.Equal(6, await database.CountAsync("SELECT count(*) FROM items"));
        Assert.Equal(2, server.Run(server.WriteKey, "pool", "add", "fashion", pool).ExitCode);

        File.WriteAllLines(_directory.File("bad.csv"), ["id,label", "img-0.png,1", "img-9.png,2", "img-1.png,shirt", "img-0.png,3"]);
        CliResult bad = server.Run(server.WriteKey, "labels", "import", "--pool", "fashion", _directory.File("bad.csv"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("nothing was imported", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 3:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 4:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 5:", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await database.CountAsync("SELECT count(*) FROM labels"));

        File.WriteAllLines(_directory.File("good.csv"), ["id,label", "img-0.png,1", "img-1.png,shirt", "img-2.png,0"]);
        CliResult good = server.Run(server.WriteKey, "labels", "import", "--pool", "fashion", "--class-names", "tshirt,trouser,shirt", _directory.File("good.csv"));
        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.Contains("3 added", good.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM labels WHERE item_id = 'img-1.png' AND label = 2"));

        CliResult start = server.Run(server.WriteKey, "run", "start", "--pool", "fashion", "--budget", "3");
        Assert.True(start.ExitCode == 0, start.ToString());
        Guid runId = Guid.Parse(start.Stdout.Trim());
        Assert.Equal(1, await database.CountAsync("SELECT count(*) FROM runs WHERE id = $1 AND state = 'pending' AND budget = 3", runId));
        CliResult status = server.Run(server.ReadKey, "run", "status", runId.ToString()[..8]);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"run {runId}: pending", status.Stdout, StringComparison.Ordinal);
        CliResult list = server.Run(server.ReadKey, "run", "list", "--format", "tsv");
        Assert.True(list.ExitCode == 0, list.ToString());
        string[] rows = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("run\tpool\tstate\tshards\titems\terrors\tbudget\tcreated", rows[0]);
        Assert.StartsWith($"{runId}\tfashion\tpending\t0/0\t0/0\t0\t3\t", rows[1], StringComparison.Ordinal);

        // A read key may look but not start runs; the server says which scope was missing.
        CliResult forbidden = server.Run(server.ReadKey, "run", "start", "--pool", "fashion", "--budget", "3");
        Assert.Equal(2, forbidden.ExitCode);
        Assert.Contains("HTTP 403", forbidden.Stderr, StringComparison.Ordinal);
        CliResult unknown = server.Run(server.WriteKey, "run", "start", "--pool", "nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("pool named 'nope'", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_the_server_cannot_read_is_refused_with_its_reason()
    {
        CliResult missing = server.Run(server.WriteKey, "pool", "add", "ghost", _directory.File("no-such-folder"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("the server finds no file or directory", missing.Stderr, StringComparison.Ordinal);
        Assert.Contains("HTTP 400", missing.Stderr, StringComparison.Ordinal);

        CliResult kind = server.Run(server.WriteKey, "pool", "add", "ghost", _directory.Path, "--kind", "zip");
        Assert.Equal(2, kind.ExitCode);
        Assert.Contains("--kind", kind.Stderr, StringComparison.Ordinal);
    }
}
