using System.Text;
using SisomCluster.Contracts.Http;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Models;
using Xunit;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// <c>GET /runs/{id}/classes</c>: a run on the model's own head names its classes from the model manifest; a fitted head
/// from the names its labels were imported with; without either, K nulls (the dashboard then shows numbers).
/// </summary>
public sealed class ClassNamesTests(ClassNamesApiTestHost host) : IClassFixture<ClassNamesApiTestHost>
{
    [Fact]
    public async Task The_model_s_own_head_takes_the_manifest_names()
    {
        using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
        RunClassesResponse classes = await client.ClassesAsync(host.OwnHeadRun);
        Assert.Equal("manifest", classes.Source);
        Assert.Equal(FashionMnist.ClassNames, classes.Names);
    }

    [Fact]
    public async Task A_fitted_head_takes_the_names_of_the_label_import()
    {
        using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
        RunClassesResponse before = await client.ClassesAsync(host.FittedHeadRun);
        Assert.Equal("none", before.Source);
        Assert.Equal(Enumerable.Repeat<string?>(null, 10), before.Names);

        // More labels, imported with class names: the fitted head's classes take the names given (unnamed indexes stay null).
        using var writer = new SisomApiClient(host.Client.BaseAddress!, host.WriteKey);
        using var csv = new MemoryStream(Encoding.UTF8.GetBytes("img-02.png,Coat\nimg-03.png,Trouser\nimg-04.png,Coat\n"));
        await writer.ImportLabelsAsync(host.PoolName, csv, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"]);
        RunClassesResponse after = await client.ClassesAsync(host.FittedHeadRun);
        Assert.Equal("labels", after.Source);
        Assert.Equal([null, "Trouser", null, null, "Coat", null, null, null, null, null], after.Names);

        // The built-in backbone has no head of its own: its run reads the same label names.
        Assert.Equal("labels", (await client.ClassesAsync(host.RunId)).Source);
    }

    [Fact]
    public async Task An_unknown_run_is_404_and_a_manifest_must_name_every_class_once()
    {
        using var client = new SisomApiClient(host.Client.BaseAddress!, host.ReadKey);
        SisomApiException missing = await Assert.ThrowsAsync<SisomApiException>(() => client.ClassesAsync(Guid.NewGuid()));
        Assert.Equal(404, missing.Status);

        string valid = File.ReadAllText(Path.Combine(host.Directory, "models", ClassNamesApiTestHost.Model + ".manifest.json"));
        Assert.Equal(FashionMnist.ClassNames, ModelManifest.Parse(valid, "m.json").ClassNames);
        string shortList = valid.Replace("\"Ankle boot\"", "\"Bag\"", StringComparison.Ordinal);
        Assert.Contains("class_names must be distinct", Assert.Throws<InvalidDataException>(() => ModelManifest.Parse(shortList, "m.json")).Message, StringComparison.Ordinal);
        string nine = valid.Replace(",\n    \"Ankle boot\"", "", StringComparison.Ordinal);
        Assert.NotEqual(valid, nine);
        Assert.Contains("class_names has 9 names", Assert.Throws<InvalidDataException>(() => ModelManifest.Parse(nine, "m.json")).Message, StringComparison.Ordinal);
    }
}
