namespace SisomCluster.Contracts.Http;

public sealed record ItemErrorResponse(string Reason, string Detail, DateTimeOffset At);
