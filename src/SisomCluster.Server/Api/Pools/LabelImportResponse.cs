namespace SisomCluster.Server.Api.Pools;

internal sealed record LabelImportResponse(Guid ImportId, int Added, int Unchanged, int Changed);
