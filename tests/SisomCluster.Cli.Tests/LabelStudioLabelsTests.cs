using System.Text;
using SisomCluster.Cli.Cluster;
using Xunit;

namespace SisomCluster.Cli.Tests;

/// <summary>
/// Label Studio's JSON export (https://labelstud.io/guide/task_format: tasks with <c>data</c> and
/// <c>annotations[].result[].value.choices</c>) read back into labels: fixtures written as Label Studio writes them.
/// </summary>
public sealed class LabelStudioLabelsTests
{
    /// <summary>Three tasks as Label Studio 1.x exports them (fields trimmed to those of the documented format).</summary>
    private const string Export = """
        [
          {
            "id": 1, "project": 3, "created_at": "2026-12-06T07:00:00Z",
            "data": {"image": "https://sisom.example.org/api/v1/pools/p/thumbnails/a.png?size=512", "sisom_item_id": "a.png", "rank": 1},
            "annotations": [
              {"id": 10, "completed_by": 1, "was_cancelled": false, "ground_truth": false, "lead_time": 2.1,
               "result": [{"id": "x1", "from_name": "choice", "to_name": "image", "type": "choices", "origin": "manual", "value": {"choices": ["shirt"]}}]}
            ],
            "predictions": [{"model_version": "sisom resnet18@abc", "score": 0.9, "result": [{"from_name": "choice", "to_name": "image", "type": "choices", "value": {"choices": ["dress"]}}]}]
          },
          {
            "id": 2,
            "data": {"image": "https://x/b", "sisom_item_id": "b,\"odd\".png"},
            "annotations": [
              {"id": 11, "was_cancelled": false, "result": [{"from_name": "choice", "to_name": "image", "type": "choices", "value": {"choices": ["0"]}}]},
              {"id": 12, "was_cancelled": true, "result": []}
            ]
          },
          {"id": 3, "data": {"image": "https://x/c", "sisom_item_id": "c.png"}, "annotations": [], "predictions": []}
        ]
        """;

    [Fact]
    public void Latest_uncancelled_choice_of_each_annotated_task_becomes_its_label()
    {
        (string csv, int labeled, int skipped) = Read(Export);
        Assert.Equal(2, labeled);
        Assert.Equal(1, skipped);
        Assert.Equal("id,label\na.png,shirt\n\"b,\"\"odd\"\".png\",0\n", csv);
    }

    [Fact]
    public void The_latest_annotation_is_chosen_by_its_time_not_its_place_in_the_array()
    {
        const string NewestFirst = """
            [
              {"id": 1, "data": {"image": "https://x/a", "sisom_item_id": "a.png"}, "annotations": [
                {"id": 21, "was_cancelled": false, "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-02T10:00:00.123456Z",
                 "result": [{"from_name": "choice", "to_name": "image", "type": "choices", "value": {"choices": ["shirt"]}}]},
                {"id": 20, "was_cancelled": false, "created_at": "2026-12-01T08:00:00Z", "updated_at": "2026-12-01T08:00:00Z",
                 "result": [{"from_name": "choice", "to_name": "image", "type": "choices", "value": {"choices": ["dress"]}}]}
              ]}
            ]
            """;
        Assert.Equal("id,label\na.png,shirt\n", Read(NewestFirst).Csv);
    }

    [Fact]
    public void Every_bad_task_is_named_and_nothing_is_returned()
    {
        const string Bad = """
            [
              {"id": 7, "data": {"image": "u"}, "annotations": []},
              {"id": 8, "data": {"sisom_item_id": "a"}, "annotations": [{"result": [{"type": "choices", "value": {"choices": ["x", "y"]}}]}]},
              {"data": {"sisom_item_id": "b"}, "annotations": [{"result": [{"type": "rectanglelabels", "value": {"rectanglelabels": ["x"]}}]}]},
              {"id": "t-10", "data": {"sisom_item_id": "c"}, "annotations": [{"result": [{"type": "choices", "value": {"choices": ["x"]}}]}]},
              {"id": 11, "data": {"sisom_item_id": "c"}, "annotations": [{"result": [{"type": "choices", "value": {"choices": ["z"]}}]}]}
            ]
            """;
        FormatException e = Assert.Throws<FormatException>(() => Read(Bad));
        Assert.StartsWith("4 problem(s) in the Label Studio export; nothing was imported.", e.Message, StringComparison.Ordinal);
        Assert.Contains("task 7 (#1 in the file): no data.sisom_item_id", e.Message, StringComparison.Ordinal);
        Assert.Contains("task 8 (#2 in the file) (item 'a'): the annotation chose 2 classes (x, y)", e.Message, StringComparison.Ordinal);
        Assert.Contains("task #3 in the file (item 'b'): the annotation chose no class", e.Message, StringComparison.Ordinal);
        Assert.Contains("task 11 (#5 in the file) (item 'c'): labeled 'z' here but 'x' in task t-10 (#4 in the file)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"data\": {}}", "an array of tasks; found a JSON object")]
    [InlineData("[{\"data\": {\"sisom_item_id\": \"a\"}, ", "not JSON")]
    [InlineData("[{\"data\": {\"sisom_item_id\": \"a\"}, \"annotations\": {}}]", "\"annotations\" is not an array")]
    public void A_file_that_is_not_a_label_studio_export_is_refused(string json, string message)
    {
        FormatException e = Assert.Throws<FormatException>(() => Read(json));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static (string Csv, int Labeled, int Skipped) Read(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return LabelStudioLabels.ToCsv(stream);
    }
}
