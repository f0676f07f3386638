using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>The table and progress-bar renderers of the cluster commands.</summary>
public sealed class TextRenderingTests
{
    [Fact]
    public void A_table_aligns_columns_on_a_terminal_and_is_tab_separated_otherwise()
    {
        var table = new TextTable(new TableColumn("bucket"), new TableColumn("scored", AlignRight: true), new TableColumn("drift"));
        table.AddRow("crawl-a", "7", "no");
        table.AddRow("b", "1200", "yes");

        using var aligned = new StringWriter();
        table.Write(aligned, aligned: true);
        Assert.Equal(
            [
                "bucket   scored  drift",
                "-------  ------  -----",
                "crawl-a       7  no",
                "b          1200  yes",
            ],
            aligned.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));

        using var plain = new StringWriter();
        table.Write(plain, aligned: false);
        Assert.Equal(["bucket\tscored\tdrift", "crawl-a\t7\tno", "b\t1200\tyes"], plain.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_tab_inside_a_cell_does_not_shift_the_columns()
    {
        var table = new TextTable(new TableColumn("a"), new TableColumn("b"));
        table.AddRow("x\ty", "z");
        using var plain = new StringWriter();
        table.Write(plain, aligned: false);
        Assert.Equal("x y\tz", plain.ToString().Split(Environment.NewLine)[1]);
        Assert.Throws<ArgumentException>(() => table.AddRow("only one"));
    }

    [Theory]
    [InlineData(0, 7, "[----------]   0%")]
    [InlineData(3, 7, "[####------]  42%")]
    [InlineData(999, 1000, "[#########-]  99%")]
    [InlineData(7, 7, "[##########] 100%")]
    [InlineData(0, 0, "[----------]   0%")]
    [InlineData(9, 7, "[##########] 100%")]
    public void A_progress_bar_is_full_only_when_the_work_is(long done, long total, string expected) =>
        Assert.Equal(expected, ProgressBar.Render(done, total, width: 10));
}
