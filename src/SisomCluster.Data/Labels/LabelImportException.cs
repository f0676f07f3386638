using System.Text;

namespace SisomCluster.Data.Labels;

/// <summary>A label file had problems; nothing of it was written. <see cref="Problems"/> holds all of them, by line.</summary>
public sealed class LabelImportException : Exception
{
    public const int ListedInMessage = 20;

    public LabelImportException()
        : this([])
    {
    }

    public LabelImportException(string message)
        : base(message)
    {
        Problems = [];
    }

    public LabelImportException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [];
    }

    public LabelImportException(IReadOnlyList<LabelImportProblem> problems)
        : base(Describe(problems))
    {
        Problems = problems;
    }

    public IReadOnlyList<LabelImportProblem> Problems { get; }

    private static string Describe(IReadOnlyList<LabelImportProblem> problems)
    {
        var message = new StringBuilder();
        message.Append(problems.Count == 1 ? "1 problem" : $"{problems.Count} problems")
            .Append(" in the label file; nothing was imported.");
        foreach (LabelImportProblem problem in problems.Take(ListedInMessage))
        {
            message.AppendLine().Append("  ").Append(problem);
        }

        if (problems.Count > ListedInMessage)
        {
            message.AppendLine().Append("  ... and ").Append(problems.Count - ListedInMessage).Append(" more");
        }

        return message.ToString();
    }
}
