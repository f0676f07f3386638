using System.Net;
using Microsoft.EntityFrameworkCore;
using SisomCluster.Contracts.Http;
using SisomCluster.Data;
using SisomCluster.Data.Results;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// One definition of class names (<c>ClassNameResolver</c>): the selection exports name a class as
/// <c>GET /runs/{id}/classes</c> does (the manifest's names for the model's own head), and a label import without
/// <c>class_names</c> reads names through the model manifest's <c>class_names</c> — what a Label Studio export of named
/// classes needs.
/// </summary>
public sealed class ClassNameResolutionTests(ClassNamesApiTestHost host) : IClassFixture<ClassNamesApiTestHost>
{
    [Fact]
    public async Task The_selection_export_names_classes_as_the_classes_endpoint_does()
    {
        await using (SisomDbContext db = host.Database.CreateDbContext())
        {
            db.Selections.Add(new Selection { RunId = host.OwnHeadRun, Rank = 1, ItemId = ApiTestHost.ItemId(1), Score = 2, OriginalScore = 2, Predicted = 7, Reason = "top_score" });
            await db.SaveChangesAsync();
        }

        using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
        RunClassesResponse classes = await client.ClassesAsync(host.OwnHeadRun);
        using HttpResponseMessage response = await host.GetAsync($"/api/v1/runs/{host.OwnHeadRun}/selection.csv", host.ReadKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        int column = Array.IndexOf(lines[0].Split(','), "predicted_class");
        Assert.Equal(classes.Names[7], lines[1].Split(',')[column]);
        Assert.Equal("Sneaker", classes.Names[7]);
    }

    [Fact]
    public async Task A_label_import_without_class_names_reads_names_through_the_model_manifest()
    {
        // What sisom labels import --format label-studio sends for an export whose choices are class names.
        using HttpResponseMessage named = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels?model={ClassNamesApiTestHost.Model}", host.WriteKey, "id,label\nimg-05.png,Sandal\nimg-06.png,3\n", "text/csv");
        Assert.Equal(HttpStatusCode.OK, named.StatusCode);
        await using (SisomDbContext db = host.Database.CreateDbContext())
        {
            var stored = await db.Labels.AsNoTracking().Where(l => l.PoolId == host.PoolId && (l.ItemId == "img-05.png" || l.ItemId == "img-06.png")).OrderBy(l => l.ItemId).Select(l => new { l.Label, l.LabelName }).ToListAsync();
            Assert.Equal([(5, "Sandal"), (3, (string?)null)], stored.Select(l => (l.Label, l.LabelName)));
        }

        // A name the manifest does not know is a problem naming the manifest; nothing is imported.
        using HttpResponseMessage unknown = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels?model={ClassNamesApiTestHost.Model}", host.WriteKey, "id,label\nimg-08.png,Sandal\nimg-07.png,Sandals\n", "text/csv");
        System.Text.Json.JsonElement problem = await ApiTestHost.ProblemAsync(unknown, HttpStatusCode.BadRequest);
        Assert.Contains($"label 'Sandals' is neither an integer nor a class name of model {ClassNamesApiTestHost.Model}'s manifest", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await host.Database.CountAsync("SELECT count(*) FROM labels WHERE pool_id = $1 AND item_id = 'img-08.png'", host.PoolId));

        // An unknown model is refused as such.
        using HttpResponseMessage noModel = await host.SendRawAsync(HttpMethod.Post, $"/api/v1/pools/{host.PoolName}/labels?model=nope", host.WriteKey, "id,label\nimg-08.png,Sandal\n", "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, noModel.StatusCode);
    }
}
