namespace SisomCluster.Data.Monitoring;

/// <summary>The OOD rate of one bucket (an hour or a source) with its Wilson 95 % interval.</summary>
public sealed record DriftSeriesPoint(string Bucket, long Scored, long Flagged, double Rate, double Lower, double Upper);
