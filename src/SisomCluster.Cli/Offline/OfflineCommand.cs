using System.CommandLine;

namespace SisomCluster.Cli.Offline;

/// <summary>The <c>offline</c> command group: SISOM on local files, without the cluster.</summary>
public static class OfflineCommand
{
    public static Command Create() =>
        new("offline", "Run SISOM on local files (.npy features, a labels file), without the cluster." + Environment.NewLine
            + Environment.NewLine
            + "Example:" + Environment.NewLine
            + "  sisom offline embed --images pool/ --out emb.npy --ids ids.txt" + Environment.NewLine
            + "  sisom offline fit-head --embeddings emb.npy --labels labels.txt --out head.json" + Environment.NewLine
            + "  sisom offline score --reference ref.npy --reference-labels labels.txt --head head.json --queries q.npy --out scores.csv")
        {
            new OfflineEmbedCommand(),
            new OfflineFitHeadCommand(),
            new OfflineScoreCommand(),
        };
}
