namespace SisomCluster.Server.Tests.Api;

/// <summary>An <see cref="ApiTestHost"/> with <c>Api:ProtectOperationalEndpoints</c> set.</summary>
public sealed class ProtectedOperationsApiTestHost : ApiTestHost
{
    protected override IEnumerable<(string Key, string Value)> Settings => [("Api:ProtectOperationalEndpoints", "true")];
}
