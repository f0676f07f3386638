namespace SisomCluster.Core.Selection;

/// <summary>Why an item is in the selection.</summary>
public enum SelectionReason
{
    /// <summary>It is among the B best scores anyway.</summary>
    Score,

    /// <summary>It entered because a fuller class hit its quota.</summary>
    ClassQuota,

    /// <summary>It entered because diversity demoted near-duplicates of chosen items.</summary>
    Diversity,
}

/// <summary>One selected item: rank 1 is selected first.</summary>
public sealed record SelectedItem(string Id, int Rank, double Score, double OriginalScore, int Predicted, SelectionReason Reason);
