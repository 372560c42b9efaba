import Foundation

/// The two-sample Kolmogorov–Smirnov test: do two samples come from the same distribution?
///
/// The statistic D is the largest gap between the two empirical distribution functions; the p-value is the
/// asymptotic Kolmogorov distribution with Stephens' small-sample correction (Numerical Recipes, `kstwo`), which is
/// accurate to a few per cent from about 20 samples a side, enough for a drift alarm at p < 0.01.
public enum KolmogorovSmirnov {
    public struct Result: Sendable, Equatable {
        /// The largest distance between the two empirical distribution functions, in [0, 1].
        public var statistic: Double
        /// The probability of a distance at least this large if both samples came from one distribution.
        public var pValue: Double
    }

    /// Tests `a` against `b`; nil when either is empty.
    public static func twoSample(_ a: [Double], _ b: [Double]) -> Result? {
        twoSample(sorted: a.sorted(), b.sorted())
    }

    /// The same test on samples already sorted in ascending order (kept sorted by a caller that tests after every
    /// new value, instead of sorting both again each time).
    public static func twoSample(sorted x: [Double], _ y: [Double]) -> Result? {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        let n = Double(x.count), m = Double(y.count)
        var i = 0, j = 0
        var distance = 0.0
        // Step through the merged values; tied values advance both samples before the gap is measured.
        while i < x.count, j < y.count {
            let value = min(x[i], y[j])
            while i < x.count, x[i] == value { i += 1 }
            while j < y.count, y[j] == value { j += 1 }
            distance = max(distance, abs(Double(i) / n - Double(j) / m))
        }
        let effective = (n * m / (n + m)).squareRoot()
        let lambda = (effective + 0.12 + 0.11 / effective) * distance
        return Result(statistic: distance, pValue: kolmogorovQ(lambda))
    }

    /// Q_KS(λ) = 2 Σ (−1)^(j−1) exp(−2 j² λ²), the Kolmogorov distribution's upper tail.
    static func kolmogorovQ(_ lambda: Double) -> Double {
        // Below this the series converges too slowly to sum, and Q is 1 to within 1e-6 anyway.
        guard lambda > 0.3 else { return 1 }
        let exponent = -2 * lambda * lambda
        var sum = 0.0
        var sign = 2.0
        var previous = 0.0
        for j in 1...100 {
            let term = sign * exp(exponent * Double(j * j))
            sum += term
            if abs(term) <= 0.001 * previous || abs(term) <= 1e-8 * sum { return min(max(sum, 0), 1) }
            sign = -sign
            previous = abs(term)
        }
        return 1
    }
}
