using Microsoft.EntityFrameworkCore;
using SisomCluster.Data;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Inference.Models;

namespace SisomCluster.Server.Tests.Api;

/// <summary>
/// An <see cref="ApiTestHost"/> with a model folder holding the test CNN (10-class logits) whose manifest names its classes,
/// and two more runs of the pool with that model: one whose context uses the model's own head, one with a fitted head.
/// </summary>
public sealed class ClassNamesApiTestHost : ApiTestHost
{
    public const string Model = "small-named";

    public Guid OwnHeadRun { get; private set; }

    public Guid FittedHeadRun { get; private set; }

    private string Models => Path.Combine(Directory, "models");

    protected override IEnumerable<(string Key, string Value)> Settings => [("Models:Directory", Models)];

    protected override async Task SeedMoreAsync()
    {
        System.IO.Directory.CreateDirectory(Models);
        string path = Path.Combine(Models, Model + ".onnx");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "small_cnn.onnx"), path);
        var manifest = new ModelManifest
        {
            Name = Model,
            Input = new ManifestInput { Name = "input", Width = 28, Height = 28, Colour = "grey", Scale = 1.0 / 255, Mean = [0], Std = [1], Resize = "stretch" },
            Outputs = new ManifestOutputs { Features = "features", Logits = "logits" },
            FeatureDimension = 32,
            ClassCount = 10,
            ClassNames = FashionMnist.ClassNames,
        };
        File.WriteAllText(ModelPackage.ManifestPathFor(path), manifest.ToJson());
        _ = ModelPackage.Load(path); // the manifest with names is a valid package

        OwnHeadRun = await RunAsync(fitted: false);
        FittedHeadRun = await RunAsync(fitted: true);
    }

    private async Task<Guid> RunAsync(bool fitted)
    {
        Guid context = await Seed.ContextAsync(Database, PoolId);
        Guid run = await Seed.RunAsync(Database, PoolId);
        await using SisomDbContext db = Database.CreateDbContext();
        if (fitted)
        {
            await db.ScoringContexts.Where(c => c.Id == context).ExecuteUpdateAsync(u => u.SetProperty(c => c.HeadWeights, new double[40]).SetProperty(c => c.HeadBias, new double[10]));
        }

        await db.Runs.Where(r => r.Id == run).ExecuteUpdateAsync(u => u.SetProperty(r => r.ModelName, Model).SetProperty(r => r.ContextId, context));
        return run;
    }
}
