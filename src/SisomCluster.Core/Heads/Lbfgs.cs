using System.Numerics.Tensors;

namespace SisomCluster.Core.Heads;

/// <summary>Returns f(x) and writes ∇f(x) into <paramref name="gradient"/>.</summary>
internal delegate double GradientFunction(double[] x, Span<double> gradient);

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Numerical Optimization, 2nd ed., Alg. 7.4/7.5) with a
/// backtracking Armijo line search. Written out here because Core takes no dependency beyond
/// TensorPrimitives, and the fitted head has to be reproducible bit for bit, which an external
/// optimiser with its own threading would not promise.
/// </summary>
internal static class Lbfgs
{
    // Sufficient-decrease constant of the Armijo test (N&W §3.1 suggest 1e-4).
    private const double ArmijoC1 = 1e-4;
    private const int MaxLineSearchTrials = 40;

    // How far f may rise through rounding alone before the approximate-Wolfe test refuses a step.
    private const double RoundingSlack = 1e-12;

    /// <summary>
    /// Minimises from <paramref name="x"/> (overwritten with the last point) until
    /// ‖∇f‖₂ ≤ tolerance · max(1, ‖∇f(x₀)‖₂), <paramref name="maxIterations"/> accepted steps, or a
    /// line search that cannot lower f even along −∇f (the precision floor).
    /// </summary>
    public static LbfgsResult Minimize(GradientFunction function, double[] x, int history, int maxIterations, double tolerance)
    {
        int n = x.Length;
        double[] point = x;
        var gradient = new double[n];
        var direction = new double[n];
        var trial = new double[n];
        var trialGradient = new double[n];
        var s = new double[history][];
        var y = new double[history][];
        for (int m = 0; m < history; m++)
        {
            s[m] = new double[n];
            y[m] = new double[n];
        }

        var rho = new double[history];
        var alpha = new double[history];
        int stored = 0;
        int newest = -1;

        double value = function(point, gradient);
        double gradientNorm = TensorPrimitives.Norm<double>(gradient);
        double threshold = tolerance * Math.Max(1.0, gradientNorm);
        int iterations = 0;
        while (gradientNorm > threshold && iterations < maxIterations)
        {
            TwoLoopDirection(gradient, direction, s, y, rho, alpha, stored, newest);
            double slope = TensorPrimitives.Dot<double>(gradient, direction);
            if (!(slope < 0))
            {
                // Rounding in the stored pairs can spoil descent; steepest descent always works.
                stored = 0;
                TensorPrimitives.Negate<double>(gradient, direction);
                slope = -gradientNorm * gradientNorm;
            }

            // Without curvature information a first step of unit length is as good a guess as any;
            // with it the quasi-Newton step 1 is the natural scale (N&W §6.1).
            double step = stored == 0 ? Math.Min(1.0, 1.0 / gradientNorm) : 1.0;
            if (!LineSearch(function, point, value, direction, slope, step, trial, trialGradient, out double trialValue))
            {
                if (stored == 0)
                {
                    break;
                }

                stored = 0;
                continue;
            }

            double sy = 0;
            double yy = 0;
            for (int i = 0; i < n; i++)
            {
                double si = trial[i] - point[i];
                double yi = trialGradient[i] - gradient[i];
                sy += si * yi;
                yy += yi * yi;
            }

            // A pair with sᵀy ≤ 0 would make the inverse-Hessian estimate indefinite: skip it.
            if (sy > double.Epsilon && sy > 2.2e-16 * yy)
            {
                newest = (newest + 1) % history;
                TensorPrimitives.Subtract<double>(trial, point, s[newest]);
                TensorPrimitives.Subtract<double>(trialGradient, gradient, y[newest]);
                rho[newest] = 1.0 / sy;
                stored = Math.Min(stored + 1, history);
            }

            (point, trial) = (trial, point);
            (gradient, trialGradient) = (trialGradient, gradient);
            value = trialValue;
            gradientNorm = TensorPrimitives.Norm<double>(gradient);
            iterations++;
        }

        if (!ReferenceEquals(point, x))
        {
            point.CopyTo(x, 0);
        }

        return new LbfgsResult(iterations, gradientNorm <= threshold, value, gradientNorm);
    }

    /// <summary>direction = −H∇f by the two-loop recursion, H₀ = γI with γ = sᵀy / yᵀy of the newest pair.</summary>
    private static void TwoLoopDirection(double[] gradient, double[] direction, double[][] s, double[][] y, double[] rho, double[] alpha, int stored, int newest)
    {
        int history = s.Length;
        gradient.CopyTo(direction, 0);
        if (stored == 0)
        {
            TensorPrimitives.Negate<double>(direction, direction);
            return;
        }

        for (int i = 0; i < stored; i++)
        {
            int m = (newest - i + history) % history;
            alpha[m] = rho[m] * TensorPrimitives.Dot<double>(s[m], direction);
            TensorPrimitives.MultiplyAdd<double>(y[m], -alpha[m], direction, direction);
        }

        double gamma = 1.0 / (rho[newest] * TensorPrimitives.Dot<double>(y[newest], y[newest]));
        TensorPrimitives.Multiply<double>(direction, gamma, direction);
        for (int i = stored - 1; i >= 0; i--)
        {
            int m = (newest - i + history) % history;
            double beta = rho[m] * TensorPrimitives.Dot<double>(y[m], direction);
            TensorPrimitives.MultiplyAdd<double>(s[m], alpha[m] - beta, direction, direction);
        }

        TensorPrimitives.Negate<double>(direction, direction);
    }

    /// <summary>
    /// Backtracks from <paramref name="step"/> with safeguarded quadratic interpolation until the
    /// Armijo condition holds, or its gradient form (the first approximate-Wolfe condition of
    /// Hager &amp; Zhang 2005, φ'(t) ≤ (1 − 2c₁)|φ'(0)| with f not above f₀ by more than rounding).
    /// The second is needed near the optimum, where the decrease of f is below its rounding error
    /// but the slope is still accurate; on a quadratic the two conditions are the same.
    /// </summary>
    private static bool LineSearch(GradientFunction function, double[] point, double value, double[] direction, double slope, double step, double[] trial, double[] trialGradient, out double trialValue)
    {
        double slack = RoundingSlack * Math.Abs(value);
        for (int attempt = 0; attempt < MaxLineSearchTrials; attempt++)
        {
            TensorPrimitives.MultiplyAdd<double>(direction, step, point, trial);
            trialValue = function(trial, trialGradient);
            if (double.IsFinite(trialValue))
            {
                if (trialValue <= value + (ArmijoC1 * step * slope))
                {
                    return true;
                }

                if (trialValue <= value + slack
                    && TensorPrimitives.Dot<double>(trialGradient, direction) <= (1 - (2 * ArmijoC1)) * -slope)
                {
                    return true;
                }

                // Minimiser of the quadratic through f₀, φ'(0) and f(step); positive since Armijo failed.
                double rise = trialValue - value - (slope * step);
                double next = -slope * step * step / (2 * rise);
                step = next >= 0.1 * step ? Math.Min(next, 0.5 * step) : 0.1 * step;
            }
            else
            {
                step *= 0.1;
            }
        }

        trialValue = double.NaN;
        return false;
    }
}
