using SisomCluster.Data.Rounds;

namespace SisomCluster.Server.Rounds;

/// <param name="Created">False when the round id was known and nothing was changed.</param>
public sealed record RoundStart(Round Round, bool Created);
