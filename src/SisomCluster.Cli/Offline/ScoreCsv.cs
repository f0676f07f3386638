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
    private static readonly (string Name, Func<SisomItemScore, string> Format)[] Columns =
    [
        ("predicted", s => s.Predicted.ToString(CultureInfo.InvariantCulture)),
        ("nearest_reference", s => s.NearestReference.ToString(CultureInfo.InvariantCulture)),
        ("d_in", s => FormatDouble(s.DIn)),
        ("d_out", s => FormatDouble(s.DOut)),
        ("ratio", s => FormatDouble(s.Ratio)),
        ("energy", s => FormatDouble(s.Energy)),
        ("sisom", s => FormatDouble(s.Sisom)),
        ("sisome", s => FormatDouble(s.Sisome)),
        ("knn", s => FormatDouble(s.Knn)),
        ("ood_sisom", s => FormatFlag(s.OodSisom)),
        ("ood_sisome", s => FormatFlag(s.OodSisome)),
        ("ood_knn", s => FormatFlag(s.OodKnn)),
        ("ood_energy", s => FormatFlag(s.OodEnergy)),
        ("no_reference", s => FormatFlag(s.NoReference)),
        ("msp", s => FormatDouble(s.Baselines.Msp)),
        ("max_logit", s => FormatDouble(s.Baselines.MaxLogit)),
        ("entropy", s => FormatDouble(s.Baselines.Entropy)),
        ("margin", s => FormatDouble(s.Baselines.Margin)),
    ];

    /// <summary><c>index</c>, then every per-item score of <see cref="SisomItemScore"/>.</summary>
    public static string Header { get; } = "index," + string.Join(',', Columns.Select(c => c.Name));

    public static void Write(Stream stream, SisomScoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(batch);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine(Header);

        // Rows are formatted in parallel chunks (shortest round-trip doubles cost ~0.1 µs each) and written in order.
        const int Chunk = 2048;
        int chunks = (batch.Count + Chunk - 1) / Chunk;
        const int Window = 16;
        var text = new string[Math.Min(chunks, Window)];
        for (int first = 0; first < chunks; first += Window)
        {
            int count = Math.Min(Window, chunks - first);
            Parallel.For(0, count, c => text[c] = FormatRows(batch, (first + c) * Chunk, Math.Min(batch.Count, (first + c + 1) * Chunk)));
            for (int c = 0; c < count; c++)
            {
                writer.Write(text[c]);
            }
        }
    }

    private static string FormatRows(SisomScoreBatch batch, int start, int end)
    {
        var lines = new StringBuilder((end - start) * 256);
        for (int i = start; i < end; i++)
        {
            SisomItemScore score = batch[i];
            lines.Append(i.ToString(CultureInfo.InvariantCulture));
            foreach ((string _, Func<SisomItemScore, string> format) in Columns)
            {
                lines.Append(',').Append(format(score));
            }

            lines.Append('\n');
        }

        return lines.ToString();
    }

    /// <summary>Round-trip text for a double: <c>inf</c>, <c>-inf</c>, empty for NaN.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return string.Empty;
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "inf" : "-inf";
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    private static string FormatFlag(bool value) => value ? "true" : "false";
}
