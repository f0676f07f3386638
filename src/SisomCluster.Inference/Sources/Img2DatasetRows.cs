using System.Globalization;
using Parquet.Serialization;
using SisomCluster.Inference.Pools;

namespace SisomCluster.Inference.Sources;

/// <summary>
/// The rows of one img2dataset shard's <c>.parquet</c>: per key, whether it was downloaded (<c>status</c> is
/// <c>success</c>; a file without a status column counts every row as downloaded) and the source and capture time the
/// configured columns give. Read whole (img2dataset writes one small file per shard: some thousand rows of url, caption
/// and sizes), through Parquet.Net.
/// </summary>
internal sealed class Img2DatasetRows
{
    /// <summary>The largest shard parquet read (the file is read into memory whole).</summary>
    public const long MaxParquetBytes = 256L << 20;

    public const string SuccessStatus = "success";

    private Img2DatasetRows(List<Img2DatasetRow> rows, Dictionary<string, int> notDownloaded, List<PoolDuplicate> duplicates)
    {
        Rows = rows;
        NotDownloaded = notDownloaded;
        Duplicates = duplicates;
    }

    /// <summary>The downloaded rows, in file order, each key once.</summary>
    public IReadOnlyList<Img2DatasetRow> Rows { get; }

    /// <summary>Rows not downloaded, counted by their status (<c>failed_to_download</c>, <c>failed_to_resize</c>, …).</summary>
    public IReadOnlyDictionary<string, int> NotDownloaded { get; }

    /// <summary>Keys met again in the file; the first row is kept.</summary>
    public IReadOnlyList<PoolDuplicate> Duplicates { get; }

    public static async Task<Img2DatasetRows> ReadAsync(Stream parquet, string name, Img2DatasetColumns columns, CancellationToken cancellationToken)
    {
        IList<Dictionary<string, object>> data;
        try
        {
            var result = await ParquetSerializer.DeserializeUntypedAsync(parquet, cancellationToken: cancellationToken).ConfigureAwait(false);
            data = result.Data;
        }
        catch (Exception e) when (e is not (OperationCanceledException or IOException or UnauthorizedAccessException))
        {
            throw new InvalidDataException($"{name}: not a readable parquet file ({e.Message}).", e);
        }

        var rows = new List<Img2DatasetRow>(data.Count);
        var notDownloaded = new Dictionary<string, int>(StringComparer.Ordinal);
        var duplicates = new List<PoolDuplicate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int line = 0;
        foreach (Dictionary<string, object> row in data)
        {
            line++;
            if (!row.TryGetValue("key", out object? keyValue) || keyValue is null || Text(keyValue) is not { Length: > 0 } key)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name}: row {line} has no key (an img2dataset parquet has a 'key' column)."));
            }

            string status = row.TryGetValue("status", out object? statusValue) && statusValue is not null ? Text(statusValue) : SuccessStatus;
            if (!string.Equals(status, SuccessStatus, StringComparison.Ordinal))
            {
                notDownloaded[status] = notDownloaded.GetValueOrDefault(status) + 1;
                continue;
            }

            if (!seen.Add(key))
            {
                duplicates.Add(new PoolDuplicate(key, string.Create(CultureInfo.InvariantCulture, $"{name} row {line}")));
                continue;
            }

            string? source = columns.SourceColumn is { Length: > 0 } sc && row.TryGetValue(sc, out object? s) && s is not null ? SourceOf(Text(s)) : null;
            DateTimeOffset? at = columns.CapturedAtColumn is { Length: > 0 } cc && row.TryGetValue(cc, out object? c) && c is not null ? TimeOf(c) : null;
            rows.Add(new Img2DatasetRow(key, source, at));
        }

        return new Img2DatasetRows(rows, notDownloaded, duplicates);
    }

    /// <summary>An http(s) url gives its host; anything else is the source as written.</summary>
    private static string? SourceOf(string value) =>
        value.Length == 0 ? null
        : Uri.TryCreate(value, UriKind.Absolute, out Uri? url) && url.Scheme is "http" or "https" ? url.Host
        : value;

    private static DateTimeOffset? TimeOf(object value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, time.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : time.Kind)),
        long seconds when seconds is >= -62_135_596_800 and <= 253_402_300_799 => DateTimeOffset.FromUnixTimeSeconds(seconds),
        int seconds => DateTimeOffset.FromUnixTimeSeconds(seconds),
        double seconds when seconds is >= -62_135_596_800 and <= 253_402_300_799 => DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000)),
        string text when PoolTimestamps.TryParseIso(text, out DateTimeOffset parsed) => parsed,
        _ => null,
    };

    private static string Text(object value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
