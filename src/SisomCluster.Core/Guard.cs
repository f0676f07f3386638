namespace SisomCluster.Core;

/// <summary>Input checks shared by the public entry points: every bad input is an ArgumentException naming it.</summary>
internal static class Guard
{
    public static void Labels(ReadOnlySpan<int> labels, int classCount, string paramName)
    {
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"{paramName}[{i}] = {labels[i]} is outside 0..{classCount - 1}.", paramName);
            }
        }
    }

    public static void Quantile(double q, string paramName)
    {
        if (!(q > 0 && q <= 1))
        {
            throw new ArgumentException($"{paramName} = {q} must lie in (0, 1].", paramName);
        }
    }
}
