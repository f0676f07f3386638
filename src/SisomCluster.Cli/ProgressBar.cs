using System.Globalization;

namespace SisomCluster.Cli;

/// <summary>A text progress bar, <c>[########------------]  40%</c>, for a line rewritten in place on a terminal.</summary>
internal static class ProgressBar
{
    public static string Render(long done, long total, int width = 30)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        double fraction = total <= 0 ? 0 : Math.Clamp((double)done / total, 0, 1);

        // Floor, so the bar is full only when the work is: 99.9 % shows one empty cell and 99 %.
        int filled = (int)Math.Floor(fraction * width);
        int percent = (int)Math.Floor(fraction * 100);
        return string.Create(CultureInfo.InvariantCulture, $"[{new string('#', filled)}{new string('-', width - filled)}] {percent,3}%");
    }
}
