using System.CommandLine;

namespace SisomCluster.Cli.Offline;

/// <summary>The <c>offline</c> command group: SISOM on local files, without the cluster.</summary>
public static class OfflineCommand
{
    public static Command Create() =>
        new("offline", "Run SISOM on local files (.npy features, a labels file), without the cluster." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom offline score --reference ref.npy --reference-labels labels.txt --head-weights W.npy --head-bias b.npy --queries q.npy --out scores.csv")
        {
            new OfflineScoreCommand(),
        };
}
