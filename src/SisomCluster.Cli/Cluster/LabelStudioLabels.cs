using System.Globalization;
using System.Text;
using System.Text.Json;
using SisomCluster.Contracts.Http;

namespace SisomCluster.Cli.Cluster;

/// <summary>
/// Reads Label Studio's JSON export (Export → JSON: an array of tasks, each with <c>data</c> and
/// <c>annotations[].result[]</c>; https://labelstud.io/guide/task_format) back into <c>id,label</c> lines for the label
/// import. The item id is <c>data.sisom_item_id</c>, which the selection export put there; the label is the one choice of
/// the task's latest annotation that was not cancelled. Tasks nobody annotated are skipped. Every problem names its task
/// and the file is refused whole: nothing is half-imported.
/// </summary>
internal static class LabelStudioLabels
{
    public const int ListedProblems = 20;

    /// <summary>The labels as CSV text (<c>id,label</c> with a header) and the count of tasks without an annotation.</summary>
    /// <exception cref="FormatException">The file is not a Label Studio JSON export, or a task has a problem (all are listed).</exception>
    public static (string Csv, int Labeled, int Skipped) ToCsv(Stream json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"expected Label Studio's JSON export, an array of tasks; found a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}.");
            }

            var problems = new List<string>();
            var labels = new Dictionary<string, (string Label, string Task)>(StringComparer.Ordinal);
            int skipped = 0;
            int index = 0;
            foreach (JsonElement task in document.RootElement.EnumerateArray())
            {
                index++;
                string name = TaskName(task, index);
                string? problem = Read(task, out string? itemId, out string? label);
                if (problem is not null)
                {
                    problems.Add($"{name}{(itemId is null ? "" : $" (item '{itemId}')")}: {problem}");
                    continue;
                }

                if (label is null)
                {
                    skipped++;
                    continue;
                }

                if (labels.TryGetValue(itemId!, out var earlier))
                {
                    if (earlier.Label != label)
                    {
                        problems.Add($"{name} (item '{itemId}'): labeled '{label}' here but '{earlier.Label}' in {earlier.Task}");
                    }

                    continue;
                }

                labels.Add(itemId!, (label, name));
            }

            if (problems.Count > 0)
            {
                var message = new StringBuilder();
                message.Append(CultureInfo.InvariantCulture, $"{problems.Count} problem(s) in the Label Studio export; nothing was imported.");
                foreach (string p in problems.Take(ListedProblems))
                {
                    message.AppendLine().Append("  ").Append(p);
                }

                if (problems.Count > ListedProblems)
                {
                    message.AppendLine().Append(CultureInfo.InvariantCulture, $"  ... and {problems.Count - ListedProblems} more");
                }

                throw new FormatException(message.ToString());
            }

            var csv = new StringBuilder("id,label\n");
            foreach ((string id, (string label, _)) in labels)
            {
                csv.Append(Csv(id)).Append(',').Append(Csv(label)).Append('\n');
            }

            return (csv.ToString(), labels.Count, skipped);
        }
    }

    /// <returns>A problem, or null: then <paramref name="label"/> is null for a task nobody annotated.</returns>
    private static string? Read(JsonElement task, out string? itemId, out string? label)
    {
        itemId = null;
        label = null;
        if (task.ValueKind != JsonValueKind.Object)
        {
            return "not a task object";
        }

        if (!task.TryGetProperty("data", out JsonElement data) || data.ValueKind != JsonValueKind.Object)
        {
            return "no \"data\" object";
        }

        if (!data.TryGetProperty(SelectionFormats.ItemIdKey, out JsonElement id) || id.ValueKind != JsonValueKind.String || id.GetString() is not { Length: > 0 } text)
        {
            return $"no data.{SelectionFormats.ItemIdKey} (import tasks made by sisom select --format label-studio, and export them as JSON)";
        }

        itemId = text;
        if (!task.TryGetProperty("annotations", out JsonElement annotations) || annotations.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (annotations.ValueKind != JsonValueKind.Array)
        {
            return "\"annotations\" is not an array";
        }

        // The latest annotation that was not cancelled: by updated_at (else created_at) where the export has them, Label
        // Studio not promising any order of the array; among equal or missing times, the later in the array.
        JsonElement? chosen = null;
        DateTimeOffset chosenAt = DateTimeOffset.MinValue;
        foreach (JsonElement annotation in annotations.EnumerateArray())
        {
            if (annotation.ValueKind != JsonValueKind.Object)
            {
                return "an annotation is not an object";
            }

            if (annotation.TryGetProperty("was_cancelled", out JsonElement cancelled) && cancelled.ValueKind == JsonValueKind.True)
            {
                continue;
            }

            DateTimeOffset at = Time(annotation, "updated_at") ?? Time(annotation, "created_at") ?? DateTimeOffset.MinValue;
            if (chosen is null || at >= chosenAt)
            {
                chosen = annotation;
                chosenAt = at;
            }
        }

        if (chosen is not { } latest)
        {
            return null;
        }

        if (!latest.TryGetProperty("result", out JsonElement result) || result.ValueKind != JsonValueKind.Array)
        {
            return "the annotation has no \"result\" array";
        }

        var choices = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonElement region in result.EnumerateArray())
        {
            if (region.ValueKind != JsonValueKind.Object
                || !region.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String
                || !string.Equals(type.GetString(), "choices", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!region.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Object
                || !value.TryGetProperty("choices", out JsonElement picked) || picked.ValueKind != JsonValueKind.Array)
            {
                return "a choices result has no value.choices array";
            }

            foreach (JsonElement choice in picked.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.String || choice.GetString() is not { Length: > 0 } c)
                {
                    return "a choice is not a non-empty string";
                }

                choices.Add(c.Trim());
            }
        }

        if (choices.Count == 0)
        {
            return "the annotation chose no class (a \"choices\" result with one choice is expected)";
        }

        if (choices.Count > 1)
        {
            return $"the annotation chose {choices.Count} classes ({string.Join(", ", choices.Order(StringComparer.Ordinal))}); one class per item is expected";
        }

        label = choices.First();
        return null;
    }

    private static string TaskName(JsonElement task, int index) =>
        task.ValueKind == JsonValueKind.Object && task.TryGetProperty("id", out JsonElement id) && id.ValueKind is JsonValueKind.Number or JsonValueKind.String
            ? $"task {id.GetRawText().Trim('"')} (#{index.ToString(CultureInfo.InvariantCulture)} in the file)"
            : $"task #{index.ToString(CultureInfo.InvariantCulture)} in the file";

    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static DateTimeOffset? Time(JsonElement annotation, string name) =>
        annotation.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset at)
            ? at
            : null;
}
