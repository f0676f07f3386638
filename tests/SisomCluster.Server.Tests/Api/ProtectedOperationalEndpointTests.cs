using System.Net;
using SisomCluster.Server.Api;
using SisomCluster.Server.Telemetry;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary><c>Api__ProtectOperationalEndpoints=true</c>: /metrics, /roles and the OpenAPI document need a read key; /healthz stays open.</summary>
public sealed class ProtectedOperationalEndpointTests(ProtectedOperationsApiTestHost host) : IClassFixture<ProtectedOperationsApiTestHost>
{
    public static TheoryData<string> Paths => [TelemetryExtensions.MetricsPath, "/roles", ApiRoleExtensions.OpenApiPath];

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Without_a_key_they_are_401_and_with_a_read_key_200(string path)
    {
        using HttpResponseMessage none = await host.GetAsync(path, key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);

        using HttpResponseMessage read = await host.GetAsync(path, host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Fact]
    public async Task Healthz_still_answers_without_a_key()
    {
        using HttpResponseMessage response = await host.GetAsync("/healthz", key: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
