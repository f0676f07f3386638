using System.Linq.Expressions;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Results;

namespace SisomCluster.Server.Api.Items;

/// <summary>The one mapping from a stored score row to the API's scores object.</summary>
internal static class ItemScoreMapping
{
    /// <summary>A score row without its embedding (kilobytes per row that no score reader needs), for EF projections.</summary>
    public static Expression<Func<ItemScore, ItemScore>> WithoutEmbedding { get; } = s => new ItemScore
    {
        ItemId = s.ItemId,
        RunId = s.RunId,
        ContextId = s.ContextId,
        ShardId = s.ShardId,
        Predicted = s.Predicted,
        NearestReference = s.NearestReference,
        DIn = s.DIn,
        DOut = s.DOut,
        Ratio = s.Ratio,
        Energy = s.Energy,
        Sisom = s.Sisom,
        Sisome = s.Sisome,
        Msp = s.Msp,
        MaxLogit = s.MaxLogit,
        Entropy = s.Entropy,
        Margin = s.Margin,
        OodSisom = s.OodSisom,
        OodSisome = s.OodSisome,
        NoReference = s.NoReference,
        ScoredAt = s.ScoredAt,
    };

    public static ItemScoresResponse ToResponse(ItemScore s) => new(
        s.ContextId, s.Predicted, s.NearestReference, s.DIn, s.DOut, s.Ratio, s.Energy, s.Sisom, s.Sisome, s.Msp, s.MaxLogit, s.Entropy, s.Margin,
        new ItemFlagsResponse(s.OodSisom, s.OodSisome, s.NoReference), s.ScoredAt);
}
