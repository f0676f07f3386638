using System.CommandLine;

namespace SisomCluster.Lab.Eval;

/// <summary>The <c>eval</c> command group: the published evaluations (docs/results/), reproducible from one command each.</summary>
public static class EvalCommand
{
    public static Command Create() =>
        new("eval", "Evaluations on Fashion-MNIST with the default ResNet-18: OOD detection and active learning (tables and SVG plots)." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom eval ood --out docs/results" + Environment.NewLine
            + "  sisom eval al --out docs/results")
        {
            new EvalOodCommand(),
            new EvalAlCommand(),
        };
}
