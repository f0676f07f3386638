using System.Linq.Expressions;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Results;

namespace SisomCluster.Server.Api.Items;

/// <summary>
/// The one mapping from a stored <see cref="ItemScore"/> to <see cref="ItemScoresResponse"/>. An expression, so that a
/// query can project with it (reading the score columns only, not the embedding) and code can still call it.
/// </summary>
internal static class ItemScoreMapping
{
    public static Expression<Func<ItemScore, ItemScoresResponse>> ToResponse { get; } = s => new ItemScoresResponse(
        s.ContextId,
        s.Predicted,
        s.NearestReference,
        s.DIn,
        s.DOut,
        s.Ratio,
        s.Energy,
        s.Sisom,
        s.Sisome,
        s.Knn,
        s.Msp,
        s.MaxLogit,
        s.Entropy,
        s.Margin,
        new ItemFlagsResponse(s.OodSisom, s.OodSisome, s.OodKnn, s.OodEnergy, s.NoReference, s.IsReference),
        s.ScoredAt);

    /// <summary>The same mapping with the item id, for lists (<c>GET /runs/{id}/scores</c>): built from <see cref="ToResponse"/>, not spelled out again.</summary>
    public static Expression<Func<ItemScore, ScoredItemResponse>> ToScoredItem { get; } = Expression.Lambda<Func<ItemScore, ScoredItemResponse>>(
        Expression.New(
            typeof(ScoredItemResponse).GetConstructor([typeof(string), typeof(ItemScoresResponse)])!,
            Expression.Property(ToResponse.Parameters[0], nameof(ItemScore.ItemId)),
            ToResponse.Body),
        ToResponse.Parameters);

    private static readonly Func<ItemScore, ItemScoresResponse> Compiled = ToResponse.Compile();

    public static ItemScoresResponse From(ItemScore score) => Compiled(score);
}
