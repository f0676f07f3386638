using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SisomCluster.Inference.Tests.Sources;

/// <summary>
/// A loopback HTTP proxy in front of the S3 server that injects the faults object storage shows in production: a 500,
/// a response that never comes, a body cut short. Requests are forwarded byte for byte (the signature covers the Host
/// header, which the client addressed to this proxy), one request per connection.
/// </summary>
public sealed class FaultyHttpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _count;

    public FaultyHttpProxy(string upstream)
    {
        _upstream = new Uri(upstream);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Decides the fault for each request (numbered from 1); none by default.</summary>
    public Func<ProxyRequest, ProxyFault> Decide { get; set; } = _ => ProxyFault.None;

    /// <summary>Every request seen, in order.</summary>
    public ConcurrentQueue<ProxyRequest> Seen { get; } = new();

    /// <summary>Forgets the requests seen so far and numbers the next one 1 again.</summary>
    public void Reset()
    {
        Seen.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream downstream = client.GetStream();
                (byte[] head, byte[] rest) = await ReadHeadAsync(downstream);
                string text = Encoding.ASCII.GetString(head);
                string[] lines = text.Split("\r\n");
                string[] first = lines[0].Split(' ');
                string? range = lines.FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim();
                var request = new ProxyRequest(Interlocked.Increment(ref _count), first[0], first[1], range);
                Seen.Enqueue(request);
                ProxyFault fault = Decide(request);
                if (fault.Kind == ProxyFaultKind.Status500)
                {
                    byte[] body = "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>injected</Message></Error>"u8.ToArray();
                    await downstream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                    await downstream.WriteAsync(body);
                    return;
                }

                if (fault.Kind == ProxyFaultKind.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                // One request per connection both ways, so a response ends where its connection does.
                string forwarded = string.Join("\r\n", lines.Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase) && l.Length > 0)) + "\r\nConnection: close\r\n\r\n";
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(_upstream.Host, _upstream.Port);
                NetworkStream up = upstream.GetStream();
                await up.WriteAsync(Encoding.ASCII.GetBytes(forwarded));
                await up.WriteAsync(rest);
                (byte[] responseHead, byte[] bodyStart) = await ReadHeadAsync(up);
                string responseText = Encoding.ASCII.GetString(responseHead);
                long start = 0;
                string? contentRange = responseText.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Range:", StringComparison.OrdinalIgnoreCase));
                if (contentRange is not null)
                {
                    string spec = contentRange[(contentRange.IndexOf("bytes", StringComparison.Ordinal) + 5)..].Trim();
                    start = long.Parse(spec[..spec.IndexOf('-', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                }

                long allowed = fault.Kind switch
                {
                    ProxyFaultKind.CutAfter => fault.Bytes,
                    ProxyFaultKind.CutAtObjectOffset => Math.Max(0, fault.Bytes - start),
                    _ => long.MaxValue,
                };
                await downstream.WriteAsync(responseHead);
                long sent = 0;
                byte[] buffer = new byte[16 << 10];
                int n = bodyStart.Length;
                bodyStart.CopyTo(buffer, 0);
                while (n > 0 && sent < allowed)
                {
                    int take = (int)Math.Min(n, allowed - sent);
                    await downstream.WriteAsync(buffer.AsMemory(0, take));
                    sent += take;
                    n = await up.ReadAsync(buffer);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that gave up (a timeout) or a proxy that stops: the connection just ends.
            }
        }
    }

    /// <summary>Reads up to and including the blank line; returns the head (with it) and whatever body bytes came with it.</summary>
    private static async Task<(byte[] Head, byte[] Remainder)> ReadHeadAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        byte[] buffer = new byte[16 << 10];
        while (true)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
            {
                throw new IOException("connection closed before the head ended");
            }

            bytes.AddRange(buffer.AsSpan(0, n));
            int end = IndexOfBlankLine(bytes);
            if (end >= 0)
            {
                return ([.. bytes.Take(end + 4)], [.. bytes.Skip(end + 4)]);
            }
        }
    }

    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}

public sealed record ProxyRequest(int Number, string Method, string Path, string? Range);

public enum ProxyFaultKind
{
    None,
    Status500,
    Hang,
    CutAfter,
    CutAtObjectOffset,
}

public sealed record ProxyFault(ProxyFaultKind Kind, long Bytes = 0)
{
    public static ProxyFault None { get; } = new(ProxyFaultKind.None);
}
