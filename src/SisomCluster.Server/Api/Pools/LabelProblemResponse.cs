namespace SisomCluster.Server.Api.Pools;

internal sealed record LabelProblemResponse(int Line, string Kind, string Message);
