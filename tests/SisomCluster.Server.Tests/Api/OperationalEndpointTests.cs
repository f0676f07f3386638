using System.Net;
using SisomCluster.Server.Api;
using SisomCluster.Server.Telemetry;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary><c>Api__ProtectOperationalEndpoints</c>: off (the default), /metrics, /roles and the OpenAPI document answer without a key.</summary>
public sealed class OperationalEndpointTests(ApiTestHost host) : IClassFixture<ApiTestHost>
{
    public static TheoryData<string> Paths => [TelemetryExtensions.MetricsPath, "/roles", ApiRoleExtensions.OpenApiPath];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task By_default_they_answer_without_a_key(string path)
    {
        using HttpResponseMessage response = await host.GetAsync(path, key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Healthz_answers_without_a_key()
    {
        using HttpResponseMessage response = await host.GetAsync("/healthz", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
