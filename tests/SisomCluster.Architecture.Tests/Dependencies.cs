using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace SisomCluster.Architecture.Tests;

/// <summary>Dependency checks over the built IL (NetArchTest), reported as "type → what it must not use".</summary>
internal static class Dependencies
{
    /// <summary>A namespace and everything under it, as a pattern over a type's namespace.</summary>
    public static string Under(string ns) => "^" + Regex.Escape(ns) + @"(\.|$)";

    /// <summary>
    /// The types of <paramref name="assembly"/> whose namespace matches <paramref name="sourcePattern"/> (every type
    /// when null) and that use a type under one of <paramref name="forbidden"/> (namespaces or type names), one line
    /// per pair: <c>SisomCluster.Server.Aggregator.RunFinalizer → SisomCluster.Server.Worker</c>.
    /// </summary>
    public static IReadOnlyList<string> Violations(Assembly assembly, string? sourcePattern, IEnumerable<string> forbidden)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(forbidden);
        var lines = new List<string>();
        foreach (string target in forbidden)
        {
            // NetArchTest matches a dependency by prefix: "SisomCluster.Server.Api" is that namespace and its children
            // (and would be an ApiX namespace too: there is none). A trailing dot matches nothing, so none is added.
            Predicates types = Types.InAssembly(assembly).That();
            ConditionList rule = (sourcePattern is null ? types.HaveNameMatching(".*") : types.ResideInNamespaceMatching(sourcePattern))
                .ShouldNot().HaveDependencyOn(target);
            TestResult result = rule.GetResult();
            if (!result.IsSuccessful)
            {
                lines.AddRange(result.FailingTypeNames.Select(t => $"{t} → {target}"));
            }
        }

        return [.. lines.Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>The assemblies <paramref name="assembly"/>'s metadata references whose name starts with one of <paramref name="prefixes"/>.</summary>
    public static IReadOnlyList<string> ReferencedAssemblies(Assembly assembly, IEnumerable<string> prefixes)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        string[] wanted = [.. prefixes];
        return [.. assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => wanted.Any(p => n.Equals(p, StringComparison.OrdinalIgnoreCase) || n.StartsWith(p + ".", StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Passes, or fails naming every offending line under <paramref name="rule"/>.</summary>
    public static void AssertNone(string rule, IReadOnlyList<string> violations) =>
        Xunit.Assert.True(violations.Count == 0, $"{rule}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", violations)}");
}
