namespace SisomCluster.Cli;

/// <summary>A column of a <see cref="TextTable"/>: its header, and whether its cells (numbers) align right.</summary>
internal readonly record struct TableColumn(string Header, bool AlignRight = false);
