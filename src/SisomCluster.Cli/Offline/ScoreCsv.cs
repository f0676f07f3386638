using System.Globalization;
using System.Text;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// The per-query CSV of <c>sisom offline score</c>. Doubles are written round-trip ("R", invariant
/// culture) so that a re-read reproduces the scores bit for bit; +∞ is <c>inf</c> (what NumPy and pandas
/// parse), and an undefined value (NaN: d_out without a reference of the predicted class) is an empty field.
/// </summary>
public static class ScoreCsv
{
    // One entry per CSV column, in order: the header and every row come from this list, so they cannot drift apart.
    private static readonly (string Name, Action<StringBuilder, SisomItemScore> Append)[] Columns =
    [
        ("predicted", (b, s) => AppendInt(b, s.Predicted)),
        ("nearest_reference", (b, s) => AppendInt(b, s.NearestReference)),
        ("d_in", (b, s) => AppendDouble(b, s.DIn)),
        ("d_out", (b, s) => AppendDouble(b, s.DOut)),
        ("ratio", (b, s) => AppendDouble(b, s.Ratio)),
        ("energy", (b, s) => AppendDouble(b, s.Energy)),
        ("sisom", (b, s) => AppendDouble(b, s.Sisom)),
        ("sisome", (b, s) => AppendDouble(b, s.Sisome)),
        ("knn", (b, s) => AppendDouble(b, s.Knn)),
        ("ood_sisom", (b, s) => b.Append(FormatFlag(s.OodSisom))),
        ("ood_sisome", (b, s) => b.Append(FormatFlag(s.OodSisome))),
        ("ood_knn", (b, s) => b.Append(FormatFlag(s.OodKnn))),
        ("ood_energy", (b, s) => b.Append(FormatFlag(s.OodEnergy))),
        ("no_reference", (b, s) => b.Append(FormatFlag(s.NoReference))),
        ("msp", (b, s) => AppendDouble(b, s.Baselines.Msp)),
        ("max_logit", (b, s) => AppendDouble(b, s.Baselines.MaxLogit)),
        ("entropy", (b, s) => AppendDouble(b, s.Baselines.Entropy)),
        ("margin", (b, s) => AppendDouble(b, s.Baselines.Margin)),
    ];

    /// <summary><c>index</c>, then every per-item score of <see cref="SisomItemScore"/>.</summary>
    public static string Header { get; } = "index," + string.Join(',', Columns.Select(c => c.Name));

    /// <summary>The whole CSV of one batch: the header, then its rows indexed from 0.</summary>
    public static void Write(Stream stream, SisomScoreBatch batch)
    {
        using Writer writer = Open(stream);
        writer.Write(batch, 0);
    }

    /// <summary>Writes the header to <paramref name="stream"/> (left open) and returns the writer of the rows that follow.</summary>
    public static Writer Open(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new Writer(stream);
    }

    /// <summary>The rows of a CSV written a batch at a time (<c>offline score</c> streams its queries): flushed when disposed.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly StreamWriter _writer;

        internal Writer(Stream stream)
        {
            _writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
            _writer.WriteLine(Header);
        }

        /// <summary>The batch's rows; the first is query <paramref name="firstIndex"/> of the whole input (the <c>index</c> column).</summary>
        public void Write(SisomScoreBatch batch, int firstIndex)
        {
            ArgumentNullException.ThrowIfNull(batch);

            // Rows are formatted in parallel chunks (shortest round-trip doubles cost ~0.1 µs each), straight into each chunk's
            // builder, and written in order.
            const int Chunk = 2048;
            int chunks = (batch.Count + Chunk - 1) / Chunk;
            const int Window = 16;
            var text = new string[Math.Min(chunks, Window)];
            for (int first = 0; first < chunks; first += Window)
            {
                int count = Math.Min(Window, chunks - first);
                Parallel.For(0, count, c => text[c] = FormatRows(batch, (first + c) * Chunk, Math.Min(batch.Count, (first + c + 1) * Chunk), firstIndex));
                for (int c = 0; c < count; c++)
                {
                    _writer.Write(text[c]);
                }
            }
        }

        public void Dispose() => _writer.Dispose();
    }

    private static string FormatRows(SisomScoreBatch batch, int start, int end, int firstIndex)
    {
        var lines = new StringBuilder((end - start) * 256);
        for (int i = start; i < end; i++)
        {
            SisomItemScore score = batch[i];
            AppendInt(lines, firstIndex + i);
            foreach ((string _, Action<StringBuilder, SisomItemScore> append) in Columns)
            {
                append(lines.Append(','), score);
            }

            lines.Append('\n');
        }

        return lines.ToString();
    }

    /// <summary>
    /// Round-trip text for a double appended to <paramref name="builder"/> without a string of its own (a CSV of 2 × 10⁴ rows
    /// has 2.4 × 10⁵ of them): <c>inf</c>, <c>-inf</c>, nothing for NaN. The one definition of the CSV's numbers.
    /// </summary>
    private static void AppendDouble(StringBuilder builder, double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        if (double.IsInfinity(value))
        {
            builder.Append(value > 0 ? "inf" : "-inf");
            return;
        }

        builder.Append(CultureInfo.InvariantCulture, $"{value:R}");
    }

    private static void AppendInt(StringBuilder builder, int value) => builder.Append(CultureInfo.InvariantCulture, $"{value}");

    /// <summary>Round-trip text for a double: <c>inf</c>, <c>-inf</c>, empty for NaN (the CSV's text, as a string).</summary>
    public static string FormatDouble(double value)
    {
        var text = new StringBuilder(24);
        AppendDouble(text, value);
        return text.ToString();
    }

    private static string FormatFlag(bool value) => value ? "true" : "false";
}
