using System.Text.Json;
using SisomCluster.Core;
using SisomCluster.Core.Scoring;

namespace SisomCluster.Cli.Offline;

/// <summary>
/// The scoring context of an offline run as JSON (SISOM.md §3.4, §6, §8.1): α and the r_avg of every
/// grid point, the ID statistics, the SISOMe weight and both thresholds, so that a run can be compared
/// with another or reproduced with a fixed <c>--alpha</c>.
/// </summary>
public static class ScoreStatsJson
{
    public static void Write(Stream stream, ScoringContext context)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(context);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        WriteNumber(json, "alpha", context.Alpha);
        WriteNumber(json, "r_avg", context.Statistics.RAvg);
        WriteNumber(json, "sd_r", context.Statistics.SdR);
        WriteNumber(json, "mu_E", context.Statistics.MuE);
        WriteNumber(json, "sd_E", context.Statistics.SdE);
        WriteNumber(json, "sisome_weight", context.SisomeWeight);
        WriteNumber(json, "threshold_sisom", context.ThresholdSisom);
        WriteNumber(json, "threshold_sisome", context.ThresholdSisome);
        WriteNumber(json, "threshold_knn", context.ThresholdKnn);
        WriteNumber(json, "threshold_energy", context.ThresholdEnergy);
        json.WriteNumber("knn_k", context.Knn?.RequestedK ?? 0);
        WriteNumber(json, "quantile", context.Quantile);
        json.WriteNumber("neighbour_rank", context.NeighbourRank);
        json.WriteString("precision", context.Precision == ScoringPrecision.Float64 ? "float64" : "float32");
        json.WriteNumber("n_reference", context.Reference.Count);

        // The layers that joined z after s_pen (SISOM.md §3.2): empty for the penultimate layer alone.
        json.WriteStartArray("layers");
        foreach (Core.States.StateLayer layer in context.Layers)
        {
            json.WriteStartObject();
            json.WriteString("name", layer.Name);
            WriteNumber(json, "alpha", layer.Alpha);
            json.WriteNumber("width", layer.Width);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("alpha_grid");
        foreach (AlphaCandidate candidate in context.AlphaGrid)
        {
            json.WriteStartObject();
            WriteNumber(json, "alpha", candidate.Alpha);

            // An ineligible grid point (degenerate statistics) has no r_avg: null, not a made-up number.
            WriteNumber(json, "r_avg", candidate.Eligible ? candidate.RAvg : double.NaN);
            if (candidate.IneligibleReason is { } reason)
            {
                json.WriteString("ineligible", reason);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>JSON has no NaN or infinity; a value that is not finite is written as null.</summary>
    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
