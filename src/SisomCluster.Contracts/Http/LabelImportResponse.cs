namespace SisomCluster.Contracts.Http;

public sealed record LabelImportResponse(Guid ImportId, int Added, int Unchanged, int Changed);
