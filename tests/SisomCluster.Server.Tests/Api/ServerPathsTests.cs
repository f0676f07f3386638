using SisomCluster.Server.Api;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>Problem texts keep what the client sent and lose every other absolute server path (to its file name).</summary>
public sealed class ServerPathsTests
{
    [Theory]
    [InlineData("/srv/pools/a: no .tar files match.", "/srv/pools/a", "/srv/pools/a: no .tar files match.")]
    [InlineData("/srv/pools/a: /srv/pools/a/x.tar and /srv/pools/a/X.TAR clash", "/srv/pools/a", "/srv/pools/a: /srv/pools/a/x.tar and /srv/pools/a/X.TAR clash")]
    [InlineData("/srv/link: no such directory /mnt/secret/real.", "/srv/link", "/srv/link: no such directory real.")]
    [InlineData("could not read '/etc/shadow' (denied)", "/srv/p", "could not read 'shadow' (denied)")]
    [InlineData("file:///var/lib/x.png: no such file", null, "x.png: no such file")]
    [InlineData("line 3: bad value", "/srv/p", "line 3: bad value")]
    public void Scrub_keeps_the_sent_path_and_cuts_others(string text, string? sent, string expected) =>
        Assert.Equal(expected, ServerPaths.Scrub(text, sent));
}
