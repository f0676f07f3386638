using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Server.Tests.Hosting;

public sealed class ServerRolesParserTests
{
    [Theory]
    [InlineData("all", ServerRoles.All)]
    [InlineData(null, ServerRoles.All)]
    [InlineData("worker", ServerRoles.Worker)]
    [InlineData("coordinator, aggregator", ServerRoles.Coordinator | ServerRoles.Aggregator)]
    [InlineData("Coordinator,WORKER,api", ServerRoles.Coordinator | ServerRoles.Worker | ServerRoles.Api)]
    public void Roles_parse_from_the_command_line(string? text, ServerRoles expected) => Assert.Equal(expected, ServerRolesParser.Parse(text));

    [Theory]
    [InlineData("workers")]
    [InlineData(",,")]
    public void Unknown_or_empty_roles_name_the_option(string text) =>
        Assert.Contains("--roles", Assert.Throws<ArgumentException>(() => ServerRolesParser.Parse(text)).Message, StringComparison.Ordinal);
}
