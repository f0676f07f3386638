using System.Diagnostics;
using System.Globalization;
using SisomCluster.Cli.Tests;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Lab.Tests.Bench;

/// <summary>
/// The numpy + BLAS peer (src/SisomCluster.Lab/Bench/Peer/sisom_peer.py) computes what <c>sisom offline score</c> does for
/// the penultimate SISOM ratio, so the two must agree: same predictions and nearest references (or a near-tie the peer's
/// float32 GEMM form cannot resolve, d_in equal to 1e-5), ratios to 1e-5. Needs
/// /usr/bin/python3 with numpy (Debian's python3-numpy); without it the test says so and checks nothing.
/// </summary>
public sealed class PeerAgreementTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void The_numpy_peer_and_offline_score_agree()
    {
        if (!HasNumpy())
        {
            output.WriteLine($"SKIPPED: {Python} with numpy is not installed (apt-get install python3-numpy libopenblas0-pthread); the peer was not compared.");
            return;
        }

        string peerDir = Path.Combine(RepositoryRoot(), "src", "SisomCluster.Lab", "Bench", "Peer");
        using var dir = new TempDirectory();
        string inputs = dir.File("in");
        Run(Path.Combine(peerDir, "make_inputs.py"), inputs, "--reference", "600", "--queries", "300", "--classes", "4", "--dim", "48", "--seed", "3");
        string scores = dir.File("scores.csv");
        LabResult sisom = LabResult.RunCli(
            "offline", "score", "--reference", Path.Combine(inputs, "ref.npy"), "--reference-labels", Path.Combine(inputs, "labels.txt"),
            "--head-weights", Path.Combine(inputs, "W.npy"), "--head-bias", Path.Combine(inputs, "b.npy"), "--queries", Path.Combine(inputs, "q.npy"),
            "--alpha", "100", "--out", scores);
        Assert.True(sisom.ExitCode == 0, sisom.ToString());
        string peer = dir.File("peer.csv");
        Run(Path.Combine(peerDir, "sisom_peer.py"), Path.Combine(inputs, "ref.npy"), Path.Combine(inputs, "labels.txt"), Path.Combine(inputs, "W.npy"), Path.Combine(inputs, "b.npy"), Path.Combine(inputs, "q.npy"), "100", peer);

        // The comparison script the benchmark uses, and the same check here on the parsed files.
        output.WriteLine(Run(Path.Combine(peerDir, "compare_peer.py"), peer, scores, "1e-5"));
        Dictionary<string, string>[] ours = ReadCsv(scores);
        Dictionary<string, string>[] theirs = ReadCsv(peer);
        Assert.Equal(300, ours.Length);
        Assert.Equal(ours.Length, theirs.Length);
        for (int i = 0; i < ours.Length; i++)
        {
            Assert.Equal(ours[i]["predicted"], theirs[i]["predicted"]);
            if (ours[i]["nearest_reference"] != theirs[i]["nearest_reference"])
            {
                // Only a near-tie the peer's float32 GEMM form cannot resolve (compare_peer.py says the same).
                double dOurs = double.Parse(ours[i]["d_in"], CultureInfo.InvariantCulture);
                double dPeer = double.Parse(theirs[i]["d_in"], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(dOurs - dPeer) <= 1e-5 * dOurs, $"query {i}: nearest {ours[i]["nearest_reference"]} (sisom, d_in {dOurs}) vs {theirs[i]["nearest_reference"]} (peer, d_in {dPeer})");
                continue;
            }

            double r = double.Parse(ours[i]["ratio"], CultureInfo.InvariantCulture);
            double p = double.Parse(theirs[i]["ratio"], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(r - p) <= 1e-5 * Math.Abs(r), $"query {i}: ratio {r} (sisom) vs {p} (peer)");
        }
    }

    [Fact]
    public void Alternate_runs_the_peer_and_offline_score_side_by_side_and_reports_medians_and_their_ratio()
    {
        if (!HasNumpy())
        {
            output.WriteLine($"SKIPPED: {Python} with numpy is not installed (apt-get install python3-numpy libopenblas0-pthread); alternate.py was not run.");
            return;
        }

        // The comparison docs/results/core.md reports, on inputs small enough for a test: two rounds, whole processes alternating.
        string peerDir = Path.Combine(RepositoryRoot(), "src", "SisomCluster.Lab", "Bench", "Peer");
        using var dir = new TempDirectory();
        string inputs = dir.File("in");
        Run(Path.Combine(peerDir, "make_inputs.py"), inputs, "--reference", "400", "--queries", "100", "--classes", "4", "--dim", "32", "--seed", "4");
        string files = $"{Path.Combine(inputs, "ref.npy")} {Path.Combine(inputs, "labels.txt")} {Path.Combine(inputs, "W.npy")} {Path.Combine(inputs, "b.npy")} {Path.Combine(inputs, "q.npy")}";
        string sisom = Path.Combine(AppContext.BaseDirectory, "sisom.dll");
        string json = dir.File("alternate.json");
        string report = Run(
            Path.Combine(peerDir, "alternate.py"),
            "--rounds", "2",
            "--run", $"peer=env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE {Python} {Path.Combine(peerDir, "sisom_peer.py")} {files} 100 {dir.File("peer.csv")}",
            "--run", $"sisom=dotnet {sisom} offline score --reference {Path.Combine(inputs, "ref.npy")} --reference-labels {Path.Combine(inputs, "labels.txt")} --head-weights {Path.Combine(inputs, "W.npy")} --head-bias {Path.Combine(inputs, "b.npy")} --queries {Path.Combine(inputs, "q.npy")} --alpha 100 --no-knn --out {dir.File("scores.csv")}",
            "--compare", "peer/sisom",
            "--json", json);
        output.WriteLine(report);

        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        System.Text.Json.JsonElement root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("runs").GetProperty("peer").GetArrayLength());
        Assert.Equal(2, root.GetProperty("runs").GetProperty("sisom").GetArrayLength());
        double peerWall = root.GetProperty("medians").GetProperty("peer").GetProperty("wall_s").GetDouble();
        double sisomWall = root.GetProperty("medians").GetProperty("sisom").GetProperty("wall_s").GetDouble();
        Assert.True(peerWall > 0 && sisomWall > 0);
        Assert.Equal(peerWall / sisomWall, root.GetProperty("ratios")[0].GetProperty("wall").GetDouble(), 9);
        Assert.True(File.Exists(dir.File("peer.csv")) && File.Exists(dir.File("scores.csv")));

        // A command that fails stops the comparison with its exit code and message: no medians of a broken run.
        var failing = new ProcessStartInfo(Python, [Path.Combine(peerDir, "alternate.py"), "--run", "broken=exit 3"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using Process p = Process.Start(failing)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.NotEqual(0, p.ExitCode);
        Assert.Contains("exit code 3", error, StringComparison.Ordinal);
    }

    private static bool HasNumpy()
    {
        if (!File.Exists(Python))
        {
            return false;
        }

        using Process p = Process.Start(new ProcessStartInfo(Python, ["-c", "import numpy"]) { RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static string Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("OPENBLAS_CORETYPE");
        start.Environment.Remove("OPENBLAS_L2_SIZE");
        using Process p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{Path.GetFileName(script)} exited {p.ExitCode}: {stdout} {stderr.Result}");
        return stdout.Trim();
    }

    private static Dictionary<string, string>[] ReadCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(',');
        return lines.Skip(1).Where(l => l.Length > 0).Select(l =>
        {
            string[] cells = l.Split(',');
            return header.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => cells[x.i], StringComparer.Ordinal);
        }).ToArray();
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "SisomCluster.sln")))
            {
                return d.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
