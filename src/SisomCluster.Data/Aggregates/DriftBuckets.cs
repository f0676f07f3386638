using System.Globalization;
using System.Runtime.InteropServices;

namespace SisomCluster.Data.Aggregates;

/// <summary>
/// A shard's drift counts grouped in memory, bucket for bucket what the previous SQL grouped in PostgreSQL (and what the
/// finaliser's full scan groups): by source, <c>coalesce(source, '(none)')</c>; by hour,
/// <c>to_char(date_trunc('hour', coalesce(captured_at, scored_at) AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00Z"')</c>.
/// </summary>
internal sealed class DriftBuckets
{
    /// <summary>The source bucket of an item without one.</summary>
    public const string NoSource = "(none)";

    // PostgreSQL's epoch (2000-01-01) in .NET ticks: Npgsql writes a timestamptz as (ticks − this) / 10 microseconds.
    private const long PostgresEpochTicks = 630822816000000000L;

    private readonly Dictionary<string, (long Scored, long Flagged)> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (long Scored, long Flagged)> _hours = [];

    public IEnumerable<(string Kind, string Bucket, long Scored, long Flagged)> Counts =>
        _sources.Select(s => ("source", s.Key, s.Value.Scored, s.Value.Flagged))
            .Concat(_hours.Select(h => ("hour", Format(h.Key), h.Value.Scored, h.Value.Flagged)));

    public void Add(string? source, DateTimeOffset? capturedAt, DateTimeOffset scoredAt, bool flagged)
    {
        long f = flagged ? 1 : 0;
        ref (long Scored, long Flagged) bySource = ref CollectionsMarshal.GetValueRefOrAddDefault(_sources, source ?? NoSource, out _);
        bySource = (bySource.Scored + 1, bySource.Flagged + f);
        ref (long Scored, long Flagged) byHour = ref CollectionsMarshal.GetValueRefOrAddDefault(_hours, HourTicks(capturedAt ?? scoredAt), out _);
        byHour = (byHour.Scored + 1, byHour.Flagged + f);
    }

    /// <summary>
    /// The UTC hour an instant falls in as PostgreSQL sees it once Npgsql has written it: Npgsql drops the sub-microsecond
    /// ticks toward the PostgreSQL epoch (so 10:59:59.9999999 stays in hour 10, and 1999-12-31T23:59:59.9999995 becomes
    /// 2000-01-01T00:00:00), then <c>date_trunc('hour')</c> floors in calendar terms.
    /// </summary>
    internal static long HourTicks(DateTimeOffset at)
    {
        long microseconds = (at.UtcTicks - PostgresEpochTicks) / 10;
        long ticks = (microseconds * 10) + PostgresEpochTicks;
        return ticks - (ticks % TimeSpan.TicksPerHour);
    }

    internal static string Format(long hourTicks) =>
        new DateTime(hourTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH':00Z'", CultureInfo.InvariantCulture);
}
