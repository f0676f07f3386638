using System.Diagnostics;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SisomCluster.Contracts.Http;
using SisomCluster.Data.Runs;
using SisomCluster.Data.Tests.Infrastructure;
using SisomCluster.Inference.Datasets;
using SisomCluster.Server.Tests.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace SisomCluster.Server.Tests.Dashboard;

/// <summary>
/// The dashboard in headless Chromium (Debian's chromium + chromedriver) on two real runs of one pool: real server
/// processes, images in tar shards with drifting capture times, labels imported with the Fashion-MNIST class names. The
/// page must load a run, draw points and bars with axis titles, show the gallery with thumbnails and class names, the
/// pool's drift across both runs, an item with its similar items, and two runs compared; and read all of it from the
/// public API (no other request than /api/v1 and its own static assets); a screenshot is kept in TestResults/dashboard.png.
/// </summary>
public sealed class DashboardBrowserTests(DatabaseFixture database, ITestOutputHelper output) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sisom-dashboard-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_dashboard_shows_a_real_run_with_points_histograms_and_thumbnails()
    {
        await using var cluster = new ClusterHarness(database, _directory);
        await cluster.BuildPoolAsync(idCount: 90, nearCount: 40, farCount: 10, labeledCount: 40, tars: 2, sidecars: true, classNames: FashionMnist.ClassNames);
        const string Key = "dashboard-test-bootstrap-key-0123456789";
        Process api = cluster.Start("coordinator,aggregator,api", ("Api__BootstrapKey", Key));
        cluster.Start("worker", ("Worker__BatchSize", "8"));
        Guid runId = await cluster.StartRunAsync(budget: 8, storeEmbeddings: true);
        RunState state = await cluster.WaitForRunAsync(runId, TimeSpan.FromMinutes(5));
        Assert.True(state == RunState.Completed, $"run {state}\n{cluster.Logs()}");

        // A second run of the pool, for the compare view, the drift across runs and the round history: started as a round
        // (no new labels) through the API.
        string url = await cluster.UrlAsync(api, TimeSpan.FromSeconds(30));
        Guid second;
        using (var client = new SisomApiClient(new Uri(url), Key))
        {
            RoundResponse round = await client.StartRoundAsync(new StartRoundRequest("nightly-1", cluster.PoolName, "", 4));
            second = round.RunId ?? throw new InvalidOperationException("the round started no run");
        }

        Assert.True(await cluster.WaitForRunAsync(second, TimeSpan.FromMinutes(5)) == RunState.Completed, cluster.Logs());

        // The page is public; its data is the public API's, which needs a key with the read scope. No private data route is left.
        using (var http = new HttpClient())
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(new Uri(url + "/"))).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri(url + "/api/v1/runs"))).StatusCode);
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync(new Uri(url + "/dashboard/data/runs"))).StatusCode);
        }

        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,4400");
        using ChromeDriverService service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.SuppressInitialDiagnosticInformation = true;
        using var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        browser.Navigate().GoToUrl($"{url}/?run={runId}#key={Key}");

        IReadOnlyCollection<IWebElement> points = await WaitForAsync(browser, By.CssSelector("[data-testid=ood-point]"));
        long expectedHours = await database.CountAsync("SELECT count(*) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'hour'", runId);
        Assert.True(expectedHours > 1, "the sidecars spread the pool over several hours");
        Assert.Equal(expectedHours, points.Count);
        Assert.NotEmpty(browser.FindElements(By.CssSelector("[data-testid=hist-sisom] rect.bin")));
        Assert.Single(browser.FindElements(By.CssSelector("[data-testid=hist-sisom] [data-testid=threshold]")));
        Assert.Equal(2, browser.FindElements(By.CssSelector("[data-testid=sources] tbody tr")).Count);
        Assert.Contains("completed", browser.FindElement(By.CssSelector("[data-testid=runs] tbody")).Text, StringComparison.Ordinal);

        // Every chart has an axis title on both axes, with units.
        foreach (string chart in new[] { "hist-sisom", "hist-sisome", "hist-knn", "hist-energy", "ood-rate" })
        {
            string x = browser.FindElement(By.CssSelector($"[data-testid={chart}] [data-testid=x-title]")).Text;
            string y = browser.FindElement(By.CssSelector($"[data-testid={chart}] [data-testid=y-title]")).Text;
            Assert.True(x.Contains('(', StringComparison.Ordinal) && y.Contains('(', StringComparison.Ordinal), $"{chart}: axis titles '{x}', '{y}' name no unit");
        }

        Assert.StartsWith("SISOM score", browser.FindElement(By.CssSelector("[data-testid=hist-sisom] [data-testid=x-title]")).Text, StringComparison.Ordinal);
        Assert.Equal("items (count per bin)", browser.FindElement(By.CssSelector("[data-testid=hist-sisom] [data-testid=y-title]")).Text);
        Assert.Equal("OOD rate (% of scored items)", browser.FindElement(By.CssSelector("[data-testid=ood-rate] [data-testid=y-title]")).Text);

        // Every tile's thumbnail was served and decoded by the browser; its caption names the predicted class.
        IReadOnlyCollection<IWebElement> tiles = await WaitForAsync(browser, By.CssSelector("[data-testid=gallery] img"));
        Assert.Equal(8, tiles.Count);
        await WaitUntilAsync(() => tiles.All(t => Convert.ToInt64(((IJavaScriptExecutor)browser).ExecuteScript("return arguments[0].naturalWidth", t), System.Globalization.CultureInfo.InvariantCulture) == 112));
        foreach (IWebElement caption in browser.FindElements(By.CssSelector("[data-testid=tile-caption]")))
        {
            Assert.DoesNotMatch(@"class \d", caption.Text);
            Assert.Contains(FashionMnist.ClassNames.Take(6), n => caption.Text.EndsWith("· " + n, StringComparison.Ordinal));
        }

        // The pool's drift across both runs: one point per day of capture, both sources from the newest run, which scored them.
        IReadOnlyCollection<IWebElement> days = await WaitForAsync(browser, By.CssSelector("[data-testid=pool-drift-point]"));
        Assert.Equal(await database.CountAsync("SELECT count(DISTINCT left(bucket, 10)) FROM drift_points WHERE run_id = $1 AND bucket_kind = 'hour'", second), days.Count);
        Assert.Equal("day of capture (UTC)", browser.FindElement(By.CssSelector("[data-testid=pool-drift] [data-testid=x-title]")).Text);
        IReadOnlyCollection<IWebElement> poolSources = await WaitForAsync(browser, By.CssSelector("[data-testid=pool-sources] tbody tr"));
        Assert.Equal(2, poolSources.Count);
        Assert.All(poolSources, r => Assert.EndsWith(second.ToString()[..8] + " 2", r.Text, StringComparison.Ordinal));

        // An item and its nearest items by stored embeddings.
        tiles.First().Click();
        IReadOnlyCollection<IWebElement> similar = await WaitForAsync(browser, By.CssSelector("[data-testid=similar-tile]"));
        Assert.Equal(6, similar.Count);
        string itemTable = browser.FindElement(By.CssSelector("[data-testid=item-table]")).Text;
        Assert.Contains("predicted class", itemTable, StringComparison.Ordinal);
        Assert.Contains(FashionMnist.ClassNames.Take(6), n => itemTable.Contains("predicted class " + n, StringComparison.Ordinal));

        // Compare: tick the two completed runs, press the button; the two runs' histograms are overlaid.
        // (In one script: the run table is redrawn every 5 s, which would leave a found element stale.)
        Assert.Equal(2L, ((IJavaScriptExecutor)browser).ExecuteScript(
            "const t = [...document.querySelectorAll('[data-testid=compare-tick]')].filter(e => !e.disabled); t.forEach(e => e.click()); return t.length;"));

        browser.FindElement(By.CssSelector("[data-testid=compare-button]")).Click();
        await WaitForAsync(browser, By.CssSelector("[data-testid=compare-hist-sisom] polyline"));
        Assert.Equal(2, browser.FindElements(By.CssSelector("[data-testid=compare-hist-sisom] polyline")).Count);
        string compared = browser.FindElement(By.CssSelector("[data-testid=compare-table]")).Text;
        Assert.Contains(runId.ToString()[..8], compared, StringComparison.Ordinal);
        Assert.Contains(second.ToString()[..8], compared, StringComparison.Ordinal);
        Assert.Contains("OOD rate (95 % interval)", compared, StringComparison.Ordinal);
        Assert.Contains("threshold KNN", compared, StringComparison.Ordinal);

        // Every request the page made (the browser's resource timing) went to the public API or fetched a static asset of
        // the page; and it did read runs, histograms, drift, selection and thumbnails from the API.
        object? entries = ((IJavaScriptExecutor)browser).ExecuteScript("return performance.getEntriesByType('resource').map(e => e.name)");
        List<Uri> requested = [.. Assert.IsAssignableFrom<IReadOnlyCollection<object>>(entries).Select(n => new Uri(Assert.IsType<string>(n)))];
        output.WriteLine(string.Join('\n', requested));
        Uri origin = new(url);
        string[] assets = ["/dashboard/dashboard.css", "/dashboard/dashboard.js"];
        foreach (Uri request in requested.Where(r => r.Scheme is not "blob" and not "data"))
        {
            Assert.True(
                Uri.Compare(request, origin, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
                    && (request.AbsolutePath.StartsWith("/api/v1/", StringComparison.Ordinal) || assets.Contains(request.AbsolutePath)),
                $"the dashboard requested {request}, which is neither the public API nor one of its static assets");
        }

        foreach (string read in new[]
        {
            "/api/v1/runs", $"/api/v1/runs/{runId}/histograms", $"/api/v1/runs/{runId}/drift", $"/api/v1/runs/{runId}/selection", $"/api/v1/pools/{cluster.PoolName}/thumbnails/",
            $"/api/v1/runs/{runId}/classes", $"/api/v1/pools/{cluster.PoolName}/drift", $"/api/v1/runs/{runId}/similar/", $"/api/v1/runs/{second}/thresholds", $"/api/v1/runs/{second}/histograms",
        })
        {
            Assert.Contains(requested, r => r.AbsolutePath.StartsWith(read, StringComparison.Ordinal));
        }

        // The round history: the round, its state and a link to its run.
        IWebElement roundRow = Assert.Single(await WaitForAsync(browser, By.CssSelector("#rounds-table tbody tr")));
        Assert.Equal("nightly-1", roundRow.GetAttribute("data-round"));
        Assert.Equal(second.ToString()[..8], roundRow.FindElement(By.TagName("a")).Text);
        Assert.True(browser.FindElement(By.CssSelector("[data-testid=rounds]")).Displayed);
        Assert.Contains(requested, r => r.AbsolutePath == "/api/v1/rounds" || r.AbsolutePath == "/api/v1/rounds/");

        string screenshot = Path.Combine(RepositoryRoot(), "TestResults", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(screenshot);
        output.WriteLine($"screenshot: {screenshot}");
        Assert.True(new FileInfo(screenshot).Length > 10_000);
    }

    private static async Task<IReadOnlyCollection<IWebElement>> WaitForAsync(ChromeDriver browser, By by)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            IReadOnlyCollection<IWebElement> found = browser.FindElements(by);
            if (found.Count > 0)
            {
                return found;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{by} never appeared; status: {browser.FindElement(By.Id("status")).Text}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "timed out");
            await Task.Delay(200);
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SisomCluster.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("SisomCluster.sln not found");
    }
}
