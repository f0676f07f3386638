namespace SisomCluster.Contracts.Http;

public sealed record LabelProblemResponse(int Line, string Kind, string Message);
