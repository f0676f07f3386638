using SisomCluster.Data.Model;
using Xunit;

namespace SisomCluster.Data.Tests.Model;

public sealed class SnakeCaseNamingTests
{
    [Theory]
    [InlineData("Id", "id")]
    [InlineData("LeaseExpiresAt", "lease_expires_at")]
    [InlineData("RAvg", "r_avg")]
    [InlineData("SdR", "sd_r")]
    [InlineData("DIn", "d_in")]
    [InlineData("DOut", "d_out")]
    [InlineData("MaxLogit", "max_logit")]
    [InlineData("N", "n")]
    public void Property_names_become_snake_case(string name, string expected)
    {
        Assert.Equal(expected, SnakeCaseNaming.ToSnakeCase(name));
    }

    [Theory]
    [InlineData("Host=h;Search Path=t_abc,public", "t_abc")]
    [InlineData("Host=h", null)]
    [InlineData("Host=h;Search Path=$user,public", null)]
    public void History_table_follows_the_first_schema_of_the_search_path(string connectionString, string? expected)
    {
        Assert.Equal(expected, SisomDbContext.HistorySchema(connectionString));
    }
}
