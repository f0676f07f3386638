namespace SisomCluster.Server.Api.Items;

internal sealed record ItemErrorResponse(string Reason, string Detail, DateTimeOffset At);
