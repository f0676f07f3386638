using System.Reflection;
using SisomCluster.Server.Hosting;
using Xunit;

namespace SisomCluster.Architecture.Tests;

/// <summary>
/// The Server's roles stand apart (ARCHITECTURE.md §2): a role's namespace never uses another role's types, so each
/// role can run alone (<c>--roles worker</c>). What roles share lives outside every role (Scoring, Models, Runs,
/// Telemetry) and uses no role; Hosting, the composition root, may use everything and nothing but the entry point uses it.
/// </summary>
public sealed class ServerRoleTests
{
    private const string Server = "SisomCluster.Server";

    private const string Hosting = Server + ".Hosting";

    /// <summary>Each role with the namespaces it owns; the dashboard is served by the api role and belongs to it.</summary>
    private static readonly Dictionary<string, string[]> Roles = new(StringComparer.Ordinal)
    {
        ["coordinator"] = [Server + ".Coordinator"],
        ["worker"] = [Server + ".Worker"],
        ["aggregator"] = [Server + ".Aggregator"],
        ["api"] = [Server + ".Api", Server + ".Dashboard"],
    };

    private static readonly Assembly Assembly = typeof(ServerRoles).Assembly;

    public static TheoryData<string> RoleNames => [.. Roles.Keys];

    [Theory]
    [MemberData(nameof(RoleNames))]
    public void A_role_uses_no_other_role_and_not_the_host(string role)
    {
        string[] others = [.. Roles.Where(r => r.Key != role).SelectMany(r => r.Value), Hosting];
        string sources = string.Join("|", Roles[role].Select(Dependencies.Under));
        Dependencies.AssertNone($"The {role} role ({string.Join(", ", Roles[role])}) uses another role or the host", Dependencies.Violations(Assembly, sources, others));
    }

    [Fact]
    public void What_roles_share_uses_no_role_and_not_the_host()
    {
        string[] roleNamespaces = [.. Roles.Values.SelectMany(n => n)];
        string[] shared = [.. Assembly.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(ns => ns.StartsWith(Server + ".", StringComparison.Ordinal))
            .Where(ns => !roleNamespaces.Append(Hosting).Any(r => ns == r || ns.StartsWith(r + ".", StringComparison.Ordinal)))
            .Distinct()
            .Order(StringComparer.Ordinal)];

        // The rule must look at something: the shared namespaces of today, at least.
        Assert.Contains(Server + ".Scoring", shared);
        Assert.Contains(Server + ".Telemetry", shared);
        Assert.Contains(Server + ".Messaging", shared);
        string sources = string.Join("|", shared.Select(ns => "^" + System.Text.RegularExpressions.Regex.Escape(ns) + "$"));
        Dependencies.AssertNone($"Shared code ({string.Join(", ", shared)}) uses a role or the host", Dependencies.Violations(Assembly, sources, [.. roleNamespaces, Hosting]));
    }
}
