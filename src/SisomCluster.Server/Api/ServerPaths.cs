using System.Text.RegularExpressions;

namespace SisomCluster.Server.Api;

/// <summary>
/// Keeps server paths out of problem texts: an exception's message (a pool listing's, a parser's) may name files the
/// client never named (a resolved symbolic link, a file beside the source). What the client sent may be echoed; any
/// other absolute path is cut to its file name.
/// </summary>
internal static partial class ServerPaths
{
    private const char Kept = '\u0001';

    /// <summary><paramref name="text"/> with every absolute path except <paramref name="sent"/> (and paths under it) cut to its last segment.</summary>
    public static string Scrub(string text, string? sent = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        string marked = string.IsNullOrEmpty(sent) ? text : text.Replace(sent, Kept.ToString(), StringComparison.Ordinal);
        string scrubbed = AbsolutePath().Replace(marked, m => Path.GetFileName(Path.TrimEndingDirectorySeparator(m.Value)) is { Length: > 0 } name ? name : "…");
        return string.IsNullOrEmpty(sent) ? scrubbed : scrubbed.Replace(Kept.ToString(), sent, StringComparison.Ordinal);
    }

    /// <summary>An absolute Unix path (or a <c>file://</c> uri) starting a text or after a space, quote, bracket, colon or equals sign.</summary>
    [GeneratedRegex(@"(?<=^|[\s'""(\[=:,])(?:file://)?/[^\s'""()\[\],;]+", RegexOptions.CultureInvariant)]
    private static partial Regex AbsolutePath();
}
