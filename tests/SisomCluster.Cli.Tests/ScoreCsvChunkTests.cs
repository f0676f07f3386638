using System.Globalization;
using System.Text;
using SisomCluster.Cli.Offline;
using SisomCluster.Core;
using SisomCluster.Core.Scoring;
using SisomCluster.Core.States;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>The CSV rows are formatted in parallel chunks: every row once, in order, whatever the count.</summary>
public sealed class ScoreCsvChunkTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2048)]
    [InlineData((2048 * 17) + 3)] // more chunks than one parallel window holds
    public void Rows_come_out_once_each_in_order_with_the_batchs_values(int queries)
    {
        var random = new Random(queries);
        const int K = 3, D = 4, References = 30;
        double[] weights = [.. Enumerable.Range(0, K * D).Select(_ => random.NextDouble() - 0.5)];
        var head = new LinearHead(weights, new double[K], K, D);
        var reference = new FeatureMatrix([.. Enumerable.Range(0, References * D).Select(_ => (float)random.NextDouble())], References, D);
        int[] labels = [.. Enumerable.Range(0, References).Select(i => i % K)];
        var items = new FeatureMatrix([.. Enumerable.Range(0, queries * D).Select(_ => (float)random.NextDouble())], queries, D);
        ScoringContext context = ScoringContext.Build(head, reference, labels, new ScoringContextOptions { Alpha = 10, ComputeKnn = false });
        SisomScoreBatch batch = new SisomScorer(context).Score(items);

        using var stream = new MemoryStream();
        ScoreCsv.Write(stream, batch);
        string[] lines = Encoding.UTF8.GetString(stream.ToArray()).Split('\n');

        Assert.Equal(ScoreCsv.Header, lines[0]);
        Assert.Equal(queries + 2, lines.Length); // header, one line per row, and the empty string after the last newline
        Assert.Equal(string.Empty, lines[^1]);
        for (int i = 0; i < queries; i++)
        {
            string[] fields = lines[i + 1].Split(',');
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), fields[0]);
            Assert.Equal(batch[i].Predicted.ToString(CultureInfo.InvariantCulture), fields[1]);
            Assert.Equal(ScoreCsv.FormatDouble(batch[i].Sisom), fields[7]);
        }
    }
}
