using System.Text.Json.Nodes;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// <c>sisom round</c> end to end through a whole cluster (<see cref="ClusterServerFixture"/>: all roles, real PostgreSQL
/// and RabbitMQ, a pool of stored embeddings): two rounds in a row, the second's labels taken from the first's selection;
/// its Label Studio tasks, annotated, come back through <c>sisom labels import --format label-studio</c>.
/// </summary>
public sealed class RoundCommandTests(ClusterServerFixture cluster) : IClassFixture<ClusterServerFixture>, IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Two_rounds_second_selection_excludes_everything_labeled_and_its_label_studio_file_loads_back()
    {
        CliResult add = cluster.Run("pool", "add", "rounds", cluster.PoolFile);
        Assert.True(add.ExitCode == 0, add.ToString());

        // Round 1: 10 labels of each in-distribution class (clusters 0-2); cluster 3 stays unlabeled (OOD).
        string[] first = [.. Enumerable.Range(0, 60).Where(i => i % 4 < 3).Take(30).Select(ClusterServerFixture.ItemId)];
        File.WriteAllLines(_directory.File("round-1.csv"), ["id,label", .. first.Select(id => $"{id},{ClusterServerFixture.ClassOf(id)}")]);
        CliResult one = cluster.Run("round", "--pool", "rounds", "--labels", _directory.File("round-1.csv"), "--budget", "12", "--round-id", "r-1", "--wait", "--interval", "0.5", "--out", _directory.File("out-1"));
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("round r-1: completed", one.Stdout, StringComparison.Ordinal);
        Assert.Contains("labels 30 added, 0 unchanged", one.Stdout, StringComparison.Ordinal);
        List<string> selected1 = CsvItemIds(_directory.File("out-1/selection.csv"));
        Assert.Equal(12, selected1.Count);
        Assert.Empty(selected1.Intersect(first));
        Assert.True(File.Exists(_directory.File("out-1/selection.jsonl")));

        // Round 2: an annotator labeled round 1's selection (the in-distribution part of it).
        string[] second = [.. selected1.Where(id => ClusterServerFixture.ClassOf(id) < 3)];
        Assert.NotEmpty(second);
        File.WriteAllLines(_directory.File("round-2.csv"), ["id,label", .. second.Select(id => $"{id},{ClusterServerFixture.ClassOf(id)}")]);
        CliResult two = cluster.Run("round", "--pool", "rounds", "--labels", _directory.File("round-2.csv"), "--budget", "12", "--round-id", "r-2", "--wait", "--interval", "0.5", "--out", _directory.File("out-2"));
        Assert.True(two.ExitCode == 0, two.ToString());
        Assert.Contains($"labels {second.Length} added", two.Stdout, StringComparison.Ordinal);

        Assert.NotEqual(await ScalarAsync("SELECT run_id FROM rounds WHERE id = 'r-1'"), await ScalarAsync("SELECT run_id FROM rounds WHERE id = 'r-2'"));
        // The new reference version follows from the labels: round 2's context holds both rounds' labels.
        Assert.Equal(first.Length + second.Length, await cluster.Database.CountAsync(
            "SELECT count(*) FROM reference_items WHERE context_id = (SELECT context_id FROM runs WHERE id = (SELECT run_id FROM rounds WHERE id = 'r-2'))"));

        // Everything labeled is out of round 2's selection, and so is everything its run flagged OOD.
        HashSet<string> labeled = [.. first, .. second];
        JsonArray tasks = JsonNode.Parse(await File.ReadAllTextAsync(_directory.File("out-2/selection.labelstudio.json")))!.AsArray();
        Assert.Equal(12, tasks.Count);
        List<string> selected2 = [.. tasks.Select(t => (string)t!["data"]!["sisom_item_id"]!)];
        Assert.DoesNotContain(selected2, labeled.Contains);
        Assert.Equal(0, await cluster.Database.CountAsync(
            "SELECT count(*) FROM selections s JOIN labels l ON l.item_id = s.item_id WHERE s.run_id = (SELECT run_id FROM rounds WHERE id = 'r-2')"));
        Assert.Equal(0, await cluster.Database.CountAsync(
            "SELECT count(*) FROM selections s JOIN item_scores i ON i.run_id = s.run_id AND i.item_id = s.item_id WHERE s.run_id = (SELECT run_id FROM rounds WHERE id = 'r-2') AND i.ood_" + Contracts.Http.OodScoreNames.Default));
        Assert.Equal(selected2, CsvItemIds(_directory.File("out-2/selection.csv")));

        // The fields Label Studio's import requires: data with the image URL, predictions with model_version and a choices result.
        foreach (JsonNode? task in tasks)
        {
            JsonObject data = task!["data"]!.AsObject();
            string id = (string)data["sisom_item_id"]!;
            Assert.Equal($"{cluster.Url}/api/v1/pools/rounds/thumbnails/{id}?size=512", (string)data["image"]!);
            JsonObject prediction = task["predictions"]!.AsArray().Single()!.AsObject();
            Assert.StartsWith("sisom resnet18@", (string)prediction["model_version"]!, StringComparison.Ordinal);
            Assert.Equal((double)data["score"]!, (double)prediction["score"]!);
            JsonObject result = prediction["result"]!.AsArray().Single()!.AsObject();
            Assert.Equal("choice", (string)result["from_name"]!);
            Assert.Equal("image", (string)result["to_name"]!);
            Assert.Equal("choices", (string)result["type"]!);
            Assert.Equal(((int)data["predicted"]!).ToString(System.Globalization.CultureInfo.InvariantCulture), (string)result["value"]!["choices"]!.AsArray().Single()!);
        }

        // A fake annotator fills annotations as Label Studio exports them (one task left unannotated, one cancelled then redone).
        for (int t = 0; t < tasks.Count; t++)
        {
            JsonObject task = tasks[t]!.AsObject();
            task["id"] = 100 + t;
            if (t == 0)
            {
                continue;
            }

            string id = (string)task["data"]!["sisom_item_id"]!;
            JsonArray annotations = [];
            if (t == 1)
            {
                annotations.Add(Annotation("9", cancelled: true));
            }

            annotations.Add(Annotation(ClusterServerFixture.ClassOf(id).ToString(System.Globalization.CultureInfo.InvariantCulture), cancelled: false));
            task["annotations"] = annotations;
        }

        await File.WriteAllTextAsync(_directory.File("export.json"), tasks.ToJsonString());
        long before = await cluster.Database.CountAsync("SELECT count(*) FROM labels");
        CliResult back = cluster.Run("labels", "import", "--pool", "rounds", "--format", "label-studio", _directory.File("export.json"));
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Contains("read 11 labeled task(s)", back.Stdout, StringComparison.Ordinal);
        Assert.Contains("1 task(s) without an annotation skipped", back.Stdout, StringComparison.Ordinal);
        Assert.Contains("11 added", back.Stdout, StringComparison.Ordinal);
        Assert.Equal(before + 11, await cluster.Database.CountAsync("SELECT count(*) FROM labels"));
        string redone = (string)tasks[1]!["data"]!["sisom_item_id"]!;
        Assert.Equal(ClusterServerFixture.ClassOf(redone), (int)await cluster.Database.CountAsync("SELECT label::bigint FROM labels WHERE item_id = $1", redone));

        // A bad export is refused whole, naming its tasks.
        tasks[2]!["annotations"] = new JsonArray(Annotation("0", cancelled: false, second: "1"));
        tasks[3]!["data"]!.AsObject().Remove("sisom_item_id");
        await File.WriteAllTextAsync(_directory.File("bad.json"), tasks.ToJsonString());
        CliResult bad = cluster.Run("labels", "import", "--pool", "rounds", "--format", "label-studio", _directory.File("bad.json"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("task 102 (#3 in the file)", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("chose 2 classes", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("task 103 (#4 in the file): no data.sisom_item_id", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(before + 11, await cluster.Database.CountAsync("SELECT count(*) FROM labels"));
    }

    [Fact]
    public async Task The_same_round_id_twice_starts_one_run_and_other_labels_under_it_are_refused()
    {
        CliResult add = cluster.Run("pool", "add", "idem", cluster.PoolFile);
        Assert.True(add.ExitCode == 0, add.ToString());
        File.WriteAllLines(_directory.File("labels.csv"), ["id,label", "item-0000,0", "item-0001,1", "item-0002,2"]);
        long runsBefore = await cluster.Database.CountAsync("SELECT count(*) FROM runs");

        CliResult start = cluster.Run("round", "--pool", "idem", "--labels", _directory.File("labels.csv"), "--budget", "5", "--round-id", "nightly-1");
        Assert.True(start.ExitCode == 0, start.ToString());
        Assert.Contains("labels 3 added", start.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("existing round", start.Stdout, StringComparison.Ordinal);
        CliResult again = cluster.Run("round", "--pool", "idem", "--labels", _directory.File("labels.csv"), "--budget", "5", "--round-id", "nightly-1");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Contains("existing round: nothing changed", again.Stdout, StringComparison.Ordinal);
        Assert.Equal(runsBefore + 1, await cluster.Database.CountAsync("SELECT count(*) FROM runs"));
        Assert.Equal(1, await cluster.Database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'nightly-1'"));

        File.WriteAllLines(_directory.File("other.csv"), ["id,label", "item-0004,0"]);
        CliResult other = cluster.Run("round", "--pool", "idem", "--labels", _directory.File("other.csv"), "--budget", "5", "--round-id", "nightly-1");
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("HTTP 409", other.Stderr, StringComparison.Ordinal);
        Assert.Contains("round 'nightly-1' exists with other labels", other.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await cluster.Database.CountAsync("SELECT count(*) FROM labels l JOIN pools p ON p.id = l.pool_id WHERE p.name = 'idem' AND l.item_id = 'item-0004'"));
        Assert.Equal(runsBefore + 1, await cluster.Database.CountAsync("SELECT count(*) FROM runs"));

        // Bad labels: nothing imported, no round, no run.
        File.WriteAllLines(_directory.File("bad.csv"), ["id,label", "item-0005,0", "no-such-item,1"]);
        CliResult bad = cluster.Run("round", "--pool", "idem", "--labels", _directory.File("bad.csv"), "--budget", "5", "--round-id", "nightly-2");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("line 3: item 'no-such-item' is not in the pool", bad.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, await cluster.Database.CountAsync("SELECT count(*) FROM rounds WHERE id = 'nightly-2'"));
        Assert.Equal(runsBefore + 1, await cluster.Database.CountAsync("SELECT count(*) FROM runs"));
    }

    private static JsonObject Annotation(string choice, bool cancelled, string? second = null)
    {
        JsonArray choices = [choice];
        if (second is not null)
        {
            choices.Add(second);
        }

        return new JsonObject
        {
            ["id"] = 1,
            ["was_cancelled"] = cancelled,
            ["result"] = new JsonArray(new JsonObject
            {
                ["from_name"] = "choice",
                ["to_name"] = "image",
                ["type"] = "choices",
                ["value"] = new JsonObject { ["choices"] = choices },
            }),
        };
    }

    private static List<string> CsvItemIds(string path) =>
        [.. File.ReadAllLines(path).Skip(1).Select(line => line.Split(',')[1])];

    private async Task<string> ScalarAsync(string sql)
    {
        await using var command = cluster.Database.DataSource.CreateCommand(sql);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
