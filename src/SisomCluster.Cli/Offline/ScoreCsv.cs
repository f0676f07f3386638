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
    public const string Header = "index,predicted,nearest_reference,d_in,d_out,ratio,energy,sisom,sisome,ood_sisom,ood_sisome";

    public static void Write(Stream stream, SisomScoreBatch batch)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(batch);
        using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        writer.WriteLine(Header);
        DistanceRatios ratios = batch.Ratios;
        var line = new StringBuilder(256);
        for (int i = 0; i < batch.Count; i++)
        {
            line.Clear()
                .Append(i.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(batch.Predicted[i].ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(ratios.NearestReference[i].ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(FormatDouble(ratios.DIn[i])).Append(',')
                .Append(FormatDouble(ratios.DOut[i])).Append(',')
                .Append(FormatDouble(ratios.Ratio[i])).Append(',')
                .Append(FormatDouble(batch.Energy[i])).Append(',')
                .Append(FormatDouble(batch.Sisom[i])).Append(',')
                .Append(FormatDouble(batch.Sisome[i])).Append(',')
                .Append(batch.OodSisom[i] ? "true" : "false").Append(',')
                .Append(batch.OodSisome[i] ? "true" : "false");
            writer.WriteLine(line);
        }
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
}
