using System.Globalization;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// Reference labels as text: one integer class index per line, as <c>np.savetxt(path, y, fmt='%d')</c>
/// writes them. Blank lines are allowed only at the end (editors and shells append them); a blank line
/// in the middle would shift every later label onto the wrong reference row, so it is an error.
/// </summary>
public static class LabelFile
{
    public static int[] Read(string path, string? displayName = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string name = displayName ?? path;
        var labels = new List<int>();
        int lineNumber = 0;
        int firstBlankLine = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0)
            {
                if (firstBlankLine == 0)
                {
                    firstBlankLine = lineNumber;
                }

                continue;
            }

            if (firstBlankLine != 0)
            {
                throw new UsageException($"{name} line {firstBlankLine}: blank line before the last label (line {lineNumber}); every line must hold the label of one reference row.");
            }

            if (!int.TryParse(line, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int label))
            {
                throw new UsageException($"{name} line {lineNumber}: '{Shorten(line)}' is not an integer label (write labels with np.savetxt(path, y, fmt='%d')).");
            }

            labels.Add(label);
        }

        return labels.ToArray();
    }

    /// <summary>Throws naming the line of the first label outside 0..classCount−1.</summary>
    public static void EnsureInRange(int[] labels, int classCount, string displayName, string classSource)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                // Only trailing lines may be blank, so label i sits on line i + 1.
                throw new UsageException($"{displayName} line {i + 1}: label {labels[i]} is outside 0..{classCount - 1} (K = {classCount} from {classSource}).");
            }
        }
    }

    private static string Shorten(string line) => line.Length <= 40 ? line : line[..40] + "...";
}
