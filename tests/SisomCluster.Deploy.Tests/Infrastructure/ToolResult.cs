namespace SisomCluster.Deploy.Tests.Infrastructure;

/// <summary>What an external tool (node, kubectl, helm, npm) printed and returned.</summary>
public sealed record ToolResult(int ExitCode, string Output, string Error)
{
    public string Describe() => $"exit {ExitCode}{Environment.NewLine}{Error}{Environment.NewLine}{Output}";
}
