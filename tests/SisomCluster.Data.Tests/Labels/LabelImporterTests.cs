using Microsoft.EntityFrameworkCore;
using SisomCluster.Data.Labels;
using SisomCluster.Data.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Data.Tests.Labels;

public sealed class LabelImporterTests : IClassFixture<DatabaseFixture>
{
    private static readonly string[] ClassNames = ["cat", "dog", "T-shirt/top"];

    private readonly DatabaseFixture _fixture;
    private readonly LabelImporter _importer;

    public LabelImporterTests(DatabaseFixture fixture)
    {
        _fixture = fixture;
        _importer = new LabelImporter(fixture.DataSource);
    }

    [Fact]
    public async Task A_good_file_imports_every_label()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]);
        const string Csv = "id,label\na.jpg,0\nb.jpg,2\n\nc.jpg,1\n";

        LabelImportResult result = await _importer.ImportAsync(poolId, new StringReader(Csv), classNames: null);

        Assert.Equal((3, 0, 0), (result.Added, result.Unchanged, result.Changed));
        await using SisomDbContext db = _fixture.CreateDbContext();
        var stored = await db.Labels.Where(l => l.PoolId == poolId).OrderBy(l => l.ItemId).Select(l => new { l.ItemId, l.Label, l.LabelName, l.ImportId }).ToListAsync();
        Assert.Equal(["a.jpg", "b.jpg", "c.jpg"], stored.Select(s => s.ItemId));
        Assert.Equal([0, 2, 1], stored.Select(s => s.Label));
        Assert.All(stored, s => Assert.Null(s.LabelName));
        Assert.All(stored, s => Assert.Equal(result.ImportId, s.ImportId));
    }

    [Fact]
    public async Task Names_and_integers_both_work_and_the_header_is_optional()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg", "b.jpg", "c,d.jpg"]);
        const string Csv = "a.jpg,dog\nb.jpg,2\n\"c,d.jpg\",T-shirt/top\n";

        LabelImportResult result = await _importer.ImportAsync(poolId, new StringReader(Csv), ClassNames);

        Assert.Equal(3, result.Added);
        await using SisomDbContext db = _fixture.CreateDbContext();
        var stored = await db.Labels.Where(l => l.PoolId == poolId).OrderBy(l => l.ItemId).Select(l => new { l.ItemId, l.Label, l.LabelName }).ToListAsync();
        Assert.Equal(
            [("a.jpg", 1, "dog"), ("b.jpg", 2, "T-shirt/top"), ("c,d.jpg", 2, "T-shirt/top")],
            stored.Select(s => (s.ItemId, s.Label, s.LabelName)));
    }

    [Fact]
    public async Task Importing_the_same_labels_again_changes_nothing()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg", "b.jpg", "c.jpg"]);
        await _importer.ImportAsync(poolId, new StringReader("a.jpg,0\nb.jpg,1\n"), null);

        LabelImportResult again = await _importer.ImportAsync(poolId, new StringReader("a.jpg,0\nb.jpg,1\nb.jpg,1\nc.jpg,1\n"), null);

        Assert.Equal((1, 2, 0), (again.Added, again.Unchanged, again.Changed));
        Assert.Equal(3, await _fixture.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
    }

    [Fact]
    public async Task Every_problem_is_reported_with_its_line_number()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg", "g.jpg"]);
        await _importer.ImportAsync(poolId, new StringReader("g.jpg,cat\n"), ClassNames);
        const string Csv = """
            id,label
            a.jpg,cat
            missing.jpg,dog
            b.jpg,3
            c.jpg,horse
            d.jpg,1,extra
            a.jpg,dog
            "e.jpg,1
            ,1
            f.jpg,-1
            g.jpg,dog
            a.jpg,cat
            """;

        var error = await Assert.ThrowsAsync<LabelImportException>(() => _importer.ImportAsync(poolId, new StringReader(Csv), ClassNames));

        Assert.Equal(
            [
                (3, LabelProblemKind.UnknownItem),
                (4, LabelProblemKind.BadLabel),
                (5, LabelProblemKind.BadLabel),
                (6, LabelProblemKind.Malformed),
                (7, LabelProblemKind.Conflict),
                (8, LabelProblemKind.Malformed),
                (9, LabelProblemKind.Malformed),
                (10, LabelProblemKind.BadLabel),
                (11, LabelProblemKind.Conflict),
            ],
            error.Problems.Select(p => (p.Line, p.Kind)));
        Assert.Contains("line 3: item 'missing.jpg' is not in the pool", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 7: item 'a.jpg' is labeled 1 here but 0 on line 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("line 11: item 'g.jpg' is already labeled 0", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("9 problems", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Integers_outside_the_class_range_are_bad_labels()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg"]);

        var error = await Assert.ThrowsAsync<LabelImportException>(() => _importer.ImportAsync(poolId, new StringReader("a.jpg,3\n"), ClassNames));

        LabelImportProblem problem = Assert.Single(error.Problems);
        Assert.Equal(new LabelImportProblem(1, LabelProblemKind.BadLabel, "item 'a.jpg': label 3 is not in 0..2"), problem);
    }

    [Fact]
    public async Task A_file_with_one_bad_line_writes_nothing()
    {
        string[] ids = [.. Enumerable.Range(0, 500).Select(i => $"img/{i}.png")];
        Guid poolId = await Seed.PoolAsync(_fixture, ids);
        await _importer.ImportAsync(poolId, new StringReader("img/0.png,0\n"), null);
        long before = await _fixture.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId);
        string csv = string.Join('\n', ids.Select((id, i) => i == 321 ? $"{id},x" : $"{id},{i % 2}"));

        var error = await Assert.ThrowsAsync<LabelImportException>(() => _importer.ImportAsync(poolId, new StringReader(csv), null));

        Assert.Equal(322, Assert.Single(error.Problems).Line);
        Assert.Equal(before, await _fixture.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1", poolId));
        Assert.Equal(1, before);
    }

    [Fact]
    public async Task The_message_lists_the_first_20_problems_and_counts_the_rest()
    {
        Guid poolId = await Seed.PoolAsync(_fixture, ["a.jpg"]);
        string csv = string.Join('\n', Enumerable.Range(0, 25).Select(i => $"ghost-{i}.jpg,0"));

        var error = await Assert.ThrowsAsync<LabelImportException>(() => _importer.ImportAsync(poolId, new StringReader(csv), null));

        Assert.Equal(25, error.Problems.Count);
        Assert.Contains("line 20: item 'ghost-19.jpg'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghost-20.jpg", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("... and 5 more", error.Message, StringComparison.Ordinal);
    }
}
