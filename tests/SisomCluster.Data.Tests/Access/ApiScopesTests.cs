using SisomCluster.Data.Access;
using Xunit;

namespace SisomCluster.Data.Tests.Access;

public sealed class ApiScopesTests
{
    [Theory]
    [InlineData("read", "read", true)]
    [InlineData("read", "write", false)]
    [InlineData("write", "read", true)]
    [InlineData("write", "admin", false)]
    [InlineData("admin", "admin", true)]
    [InlineData("admin", "read", true)]
    public void Each_scope_includes_the_ones_before_it(string held, string needed, bool granted) =>
        Assert.Equal(granted, ApiScopes.Grants([held], needed));

    [Theory]
    [InlineData("superuser")]
    [InlineData("root")]
    [InlineData("")]
    [InlineData("ADMIN")]
    public void A_scope_the_code_does_not_know_grants_nothing(string unknown)
    {
        foreach (string needed in ApiScopes.All)
        {
            Assert.False(ApiScopes.Grants([unknown], needed), $"'{unknown}' granted '{needed}'");
        }
    }

    [Fact]
    public void An_unknown_scope_beside_a_known_one_adds_nothing()
    {
        Assert.True(ApiScopes.Grants(["superuser", "read"], ApiScopes.Read));
        Assert.False(ApiScopes.Grants(["superuser", "read"], ApiScopes.Write));
    }

    [Fact]
    public void Nothing_grants_an_unknown_need() =>
        Assert.False(ApiScopes.Grants(ApiScopes.All, "superuser"));
}
