using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using SisomCluster.Server.Telemetry;

namespace SisomCluster.Deploy.Tests.Monitoring;

/// <summary>
/// The Prometheus names of the instruments the server's <see cref="SisomMetrics"/> creates, taken from the code (a
/// <see cref="MeterListener"/> on a real instance), named as the OpenTelemetry Prometheus exporter names them:
/// dots to underscores, the unit as a suffix (<c>s</c> → <c>_seconds</c>; <c>{item}</c>-style units add none), counters
/// <c>_total</c>, histograms <c>_bucket</c>, <c>_sum</c>, <c>_count</c>. tests/SisomCluster.Server.Tests/Telemetry
/// scrapes /metrics and checks these names there.
/// </summary>
public static partial class ExportedMetrics
{
    private static readonly Lazy<IReadOnlySet<string>> NamesLazy = new(Collect);

    public static IReadOnlySet<string> Names => NamesLazy.Value;

    /// <summary>The metric names a PromQL expression selects (functions, keywords, labels and durations left out).</summary>
    public static IReadOnlyList<string> Selected(string expression)
    {
        string s = StringLiteral().Replace(expression, "\"\"");
        s = LabelMatchers().Replace(s, " ");
        s = Ranges().Replace(s, " ");
        s = Grouping().Replace(s, " ");
        return [.. Identifier().Matches(s)
            .Where(m => !Keywords.Contains(m.Value) && !FollowedByParenthesis(s, m.Index + m.Length))
            .Select(m => m.Value)
            .Distinct()];
    }

    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "atan2",
    };

    private static bool FollowedByParenthesis(string s, int index)
    {
        while (index < s.Length && char.IsWhiteSpace(s[index]))
        {
            index++;
        }

        return index < s.Length && s[index] == '(';
    }

    private static IReadOnlySet<string> Collect()
    {
        using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        _ = new SisomMetrics(factory);
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == SisomTelemetry.MeterName)
                {
                    names.UnionWith(PrometheusNames(instrument));
                }
            },
        };
        listener.Start();
        return names.Count > 0 ? names : throw new InvalidOperationException("SisomMetrics published no instruments");
    }

    private static IEnumerable<string> PrometheusNames(Instrument instrument)
    {
        string unit = instrument.Unit switch
        {
            null or "" => "",
            "s" => "_seconds",
            var u when u.StartsWith('{') && u.EndsWith('}') => "",
            var u => throw new InvalidOperationException($"{instrument.Name}: unit {u} has no Prometheus suffix here yet"),
        };
        string name = instrument.Name.Replace('.', '_') + unit;
        Type type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
        {
            return [name + "_total"];
        }

        if (type == typeof(Histogram<>))
        {
            return [name + "_bucket", name + "_sum", name + "_count"];
        }

        return [name];
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<![\w.:$])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();
}
