using System.Xml.Linq;
using SisomCluster.Deploy.Tests.Infrastructure;
using Xunit;

namespace SisomCluster.Deploy.Tests.Docker;

/// <summary>What each Dockerfile builds and copies exists in the repository, and the restore layer holds every project it needs.</summary>
public sealed class DockerfileSourceTests
{
    public static TheoryData<string> Files => ["docker/Dockerfile", "docker/Dockerfile.gpu"];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_copied_path_exists(string file)
    {
        Dockerfile dockerfile = Dockerfile.Load(RepositoryPaths.Of(file));
        List<string> sources = [.. dockerfile.LocalCopies().Select(c => c.Source)];
        Assert.NotEmpty(sources);
        string[] missing = [.. sources.Where(s => !File.Exists(RepositoryPaths.Of(s)) && !Directory.Exists(RepositoryPaths.Of(s)))];
        Assert.True(missing.Length == 0, $"{file} copies what the repository lacks: {string.Join(", ", missing)}");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Published_projects_exist_and_are_the_server_and_the_cli(string file)
    {
        string[] published = [.. Dockerfile.Load(RepositoryPaths.Of(file)).DotnetCommands("publish").Select(c => c.Words[2])];
        Assert.Equal(["src/SisomCluster.Server/SisomCluster.Server.csproj", "src/SisomCluster.Cli/SisomCluster.Cli.csproj"], published);
        Assert.All(published, p => Assert.True(File.Exists(RepositoryPaths.Of(p)), p + " does not exist"));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_restore_layer_copies_every_project_the_published_ones_reference(string file)
    {
        Dockerfile dockerfile = Dockerfile.Load(RepositoryPaths.Of(file));
        int firstRestore = dockerfile.DotnetCommands("restore").Min(c => c.Index);
        var copiedBeforeRestore = dockerfile.LocalCopies().Where(c => c.Index < firstRestore).Select(c => c.Source).ToHashSet(StringComparer.Ordinal);
        foreach (string settings in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig" })
        {
            Assert.True(copiedBeforeRestore.Contains(settings), $"{file}: {settings} is not copied before the restore");
        }

        foreach (string project in dockerfile.DotnetCommands("publish").SelectMany(c => ProjectClosure(c.Words[2])))
        {
            Assert.True(copiedBeforeRestore.Contains(project), $"{file}: {project} is referenced but not copied before the restore (a stale restore layer)");
        }
    }

    [Fact]
    public void The_gpu_image_restores_and_publishes_the_cuda_build_on_cuda_13()
    {
        Dockerfile dockerfile = Dockerfile.Load(RepositoryPaths.Of("docker/Dockerfile.gpu"));
        Assert.All(dockerfile.DotnetCommands("restore").Concat(dockerfile.DotnetCommands("publish")), c => Assert.Contains("-p:SisomGpu=true", c.Words));
        Assert.DoesNotContain(Dockerfile.Load(RepositoryPaths.Of("docker/Dockerfile")).DotnetCommands("publish"), c => c.Words.Contains("-p:SisomGpu=true"));
        string cuda = dockerfile.Instructions.Single(i => i.Keyword == "ARG" && i.Arguments.StartsWith("CUDA_VERSION=", StringComparison.Ordinal)).Arguments;
        Assert.StartsWith("CUDA_VERSION=13.", cuda, StringComparison.Ordinal);
        Assert.Contains(dockerfile.Instructions, i => i.Keyword == "FROM" && i.Arguments.StartsWith("nvidia/cuda:${CUDA_VERSION}-cudnn-runtime-ubuntu24.04", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_image_runs_sisom_server_as_a_non_root_user_with_a_healthcheck(string file)
    {
        Dockerfile dockerfile = Dockerfile.Load(RepositoryPaths.Of(file));
        string server = AssemblyName("src/SisomCluster.Server/SisomCluster.Server.csproj");
        Assert.Equal($"[\"/app/{server}\"]", dockerfile.Instructions.Last(i => i.Keyword == "ENTRYPOINT").Arguments);
        string user = dockerfile.Instructions.Last(i => i.Keyword == "USER").Arguments;
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user);
        Assert.Contains("/healthz", dockerfile.Instructions.Single(i => i.Keyword == "HEALTHCHECK").Arguments, StringComparison.Ordinal);
        Assert.Contains(dockerfile.Instructions, i => i.Keyword == "EXPOSE" && i.Arguments == "8080");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void The_image_neither_publishes_nor_receives_the_research_harness(string file)
    {
        const string lab = "src/SisomCluster.Lab/SisomCluster.Lab.csproj";
        Assert.True(File.Exists(RepositoryPaths.Of(lab)), lab + " does not exist: update this test");
        foreach ((int _, string[] words) in Dockerfile.Load(RepositoryPaths.Of(file)).DotnetCommands("publish"))
        {
            Assert.DoesNotContain(lab, ProjectClosure(words[2]));
        }

        // COPY src/ src/ would bring its sources along: the build context leaves them out.
        string[] ignored = [.. File.ReadAllLines(RepositoryPaths.Of(".dockerignore")).Select(l => l.Trim())];
        Assert.Contains("src/SisomCluster.Lab/", ignored);
    }

    [Fact]
    public void The_migration_command_is_the_server_assembly() =>
        // compose.yaml, deploy/k8s/migrate and the chart's hook Job run /app/sisom-server migrate.
        Assert.Equal("sisom-server", AssemblyName("src/SisomCluster.Server/SisomCluster.Server.csproj"));

    private static string AssemblyName(string project) =>
        XDocument.Load(RepositoryPaths.Of(project)).Descendants("AssemblyName").Single().Value;

    /// <summary>The project and every project it references, transitively, as repository-relative paths.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            if (!seen.Add(current))
            {
                continue;
            }

            string directory = Path.GetDirectoryName(RepositoryPaths.Of(current))!;
            foreach (XElement reference in XDocument.Load(RepositoryPaths.Of(current)).Descendants("ProjectReference"))
            {
                string full = Path.GetFullPath(Path.Combine(directory, reference.Attribute("Include")!.Value));
                pending.Push(Path.GetRelativePath(RepositoryPaths.Root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }
}
