using SisomCluster.Data.Runs;

namespace SisomCluster.Server.Api.Runs;

internal sealed record RunProgressResponse(
    int TotalShards, int PendingShards, int LeasedShards, int DoneShards, int FailedShards, long Items, long ItemsScored, long ItemsFailed, long ItemsInFailedShards)
{
    public static RunProgressResponse From(RunProgress p) =>
        new(p.TotalShards, p.PendingShards, p.LeasedShards, p.DoneShards, p.FailedShards, p.Items, p.ItemsScored, p.ItemsFailed, p.ItemsInFailedShards);
}
