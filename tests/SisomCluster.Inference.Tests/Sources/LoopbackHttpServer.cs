using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>
/// A real HTTP server on loopback (<see cref="HttpListener"/>) whose answer to each request is decided by the test: the
/// image servers http(s) manifest items come from, with their faults (404, 500, slow, a body cut short, a redirect).
/// </summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public LoopbackHttpServer(Func<string, int, HttpListenerContext, Task> handle)
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }

                string path = context.Request.Url!.AbsolutePath;
                int count = Requests.AddOrUpdate(path, 1, (_, n) => n + 1);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        await handle(path, count, context);
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
                    {
                        // The client gave up (a timeout under test): nothing to answer.
                    }
                });
            }
        });
    }

    public int Port { get; }

    /// <summary>Requests seen per path.</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new();

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public int Count(string path) => Requests.TryGetValue(path, out int n) ? n : 0;

    /// <summary>Answers <paramref name="status"/> with <paramref name="body"/> (Content-Length set).</summary>
    public static async Task AnswerAsync(HttpListenerContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    /// <summary>Announces <paramref name="body"/>'s full length, sends only its first half, then drops the connection.</summary>
    public static async Task TruncateAsync(HttpListenerContext context, byte[] body)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body.AsMemory(0, body.Length / 2));
        await context.Response.OutputStream.FlushAsync();
        context.Response.Abort();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
