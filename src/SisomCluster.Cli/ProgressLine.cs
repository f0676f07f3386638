namespace SisomCluster.Cli;

/// <summary>A one-line progress display on a terminal (rewritten in place, at most ~10 times a second); silent when stderr is not a terminal.</summary>
internal sealed class ProgressLine
{
    private readonly TextWriter? _writer;
    private long _lastTicks;
    private int _width;

    private ProgressLine(TextWriter? writer) => _writer = writer;

    public static ProgressLine For(TextWriter stderr) =>
        new(ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? stderr : null);

    public void Update(string text)
    {
        if (_writer is null || Environment.TickCount64 - _lastTicks < 100)
        {
            return;
        }

        _lastTicks = Environment.TickCount64;
        _writer.Write("\r" + text.PadRight(_width));
        _width = text.Length;
    }

    public void Clear()
    {
        if (_writer is not null && _width > 0)
        {
            _writer.Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
        }
    }
}
