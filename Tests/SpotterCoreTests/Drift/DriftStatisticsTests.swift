import Foundation
import SpotterCore
import Testing

@Suite struct DriftStatisticsTests {
    @Test func kolmogorovSmirnovMeasuresTheLargestGapBetweenTheEmpiricalDistributions() throws {
        // By hand: after 2, F_a = 2/3 and F_b = 0; after 3, F_a = 1 and F_b = 1/3. D = 2/3 either way round.
        let ab = try #require(KolmogorovSmirnov.twoSample([1, 2, 3], [2.5, 4, 5]))
        let ba = try #require(KolmogorovSmirnov.twoSample([2.5, 4, 5], [1, 2, 3]))
        #expect(abs(ab.statistic - 2.0 / 3) < 1e-12)
        #expect(ab == ba)
        // Ties across the samples advance both before the gap is measured: identical samples are D = 0, p = 1.
        let same = try #require(KolmogorovSmirnov.twoSample([1, 1, 2, 2, 3], [1, 1, 2, 2, 3]))
        #expect(same.statistic == 0 && same.pValue == 1)
        #expect(KolmogorovSmirnov.twoSample([], [1]) == nil)
    }

    @Test func kolmogorovSmirnovPValuesSeparateShiftedFromUnshiftedSamples() throws {
        var generator = SplitMix64(seed: 7)
        let reference = (0..<200).map { _ in Double(generator.gaussian()) }
        let sameDistribution = (0..<200).map { _ in Double(generator.gaussian()) }
        let shifted = (0..<200).map { _ in Double(generator.gaussian()) + 0.5 }
        let quiet = try #require(KolmogorovSmirnov.twoSample(reference, sameDistribution))
        let moved = try #require(KolmogorovSmirnov.twoSample(reference, shifted))
        #expect(quiet.pValue > 0.05, "\(quiet)")
        #expect(moved.pValue < 0.001, "\(moved)")
        // Fully separated samples of 20: D = 1, and Q_KS(λ≈3.32) = 2·exp(−2λ²) ≈ 5e−10.
        let apart = try #require(KolmogorovSmirnov.twoSample((0..<20).map(Double.init), (100..<120).map(Double.init)))
        #expect(apart.statistic == 1)
        #expect(apart.pValue > 1e-11 && apart.pValue < 1e-8, "\(apart.pValue)")
        // The asymptotic p-value at D = 0.2 with 100 a side (λ ≈ 1.44) is about 0.032.
        let moderate = try #require(KolmogorovSmirnov.twoSample((0..<100).map(Double.init), (20..<120).map(Double.init)))
        #expect(abs(moderate.statistic - 0.2) < 1e-12)
        #expect(abs(moderate.pValue - 0.032) < 0.005, "\(moderate.pValue)")
    }

    @Test func kolmogorovSmirnovOnSortedSamplesMatchesTheUnsortedTest() throws {
        var generator = SplitMix64(seed: 3)
        for size in [1, 5, 50, 200] {
            // Rounded, so that ties occur within and across the samples.
            let a = (0..<size).map { _ in (Double(generator.gaussian()) * 4).rounded() / 4 }
            let b = (0..<(size + 7)).map { _ in (Double(generator.gaussian()) * 4).rounded() / 4 + 0.25 }
            #expect(KolmogorovSmirnov.twoSample(sorted: a.sorted(), b.sorted()) == KolmogorovSmirnov.twoSample(a, b))
        }
    }

    @Test func sphericalKMeansFindsSeparatedDirectionsAndIsReproducible() {
        var generator = SplitMix64(seed: 11)
        // Three clouds around three orthogonal axes of an 8-dimensional space.
        var vectors: [[Float]] = []
        for axis in 0..<3 {
            for _ in 0..<30 {
                var vector = (0..<8).map { _ in generator.gaussian() * 0.05 }
                vector[axis] += 1
                vectors.append(vector)
            }
        }
        let result = SphericalKMeans.cluster(vectors, k: 3)
        #expect(result.centroids.count == 3)
        for axis in 0..<3 {
            let members = Set(result.assignments[(axis * 30)..<(axis * 30 + 30)])
            #expect(members.count == 1, "cloud \(axis) split over \(members)")
        }
        #expect(Set(result.assignments).count == 3)
        for centroid in result.centroids {
            let norm = centroid.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
        #expect(SphericalKMeans.cluster(vectors, k: 3).assignments == result.assignments)
        // More clusters asked than points: one per point at most.
        #expect(SphericalKMeans.cluster(Array(vectors.prefix(2)), k: 5).centroids.count <= 2)
        #expect(SphericalKMeans.cluster([], k: 3).centroids.isEmpty)
    }

    @Test func signalsMoveWithHysteresis() {
        let settings = DriftSettings()  // miss rate: drifting above 0.5, warning from 0.4, back to ok below 0.4
        #expect(settings.nextState(of: .cacheMissRate, from: .ok, value: 0.3) == .ok)
        #expect(settings.nextState(of: .cacheMissRate, from: .ok, value: 0.45) == .warning)
        #expect(settings.nextState(of: .cacheMissRate, from: .ok, value: 0.5) == .warning)
        #expect(settings.nextState(of: .cacheMissRate, from: .warning, value: 0.51) == .drifting)
        // Once drifting, a dip just below the trigger does not clear it; only going back under the clear level does.
        #expect(settings.nextState(of: .cacheMissRate, from: .drifting, value: 0.45) == .drifting)
        #expect(settings.nextState(of: .cacheMissRate, from: .drifting, value: 0.39) == .ok)
        #expect(settings.nextState(of: .cacheMissRate, from: .warning, value: 0.2) == .ok)
        // The KS p-value is worse when lower: drifting below 0.01, cleared only above 0.05.
        #expect(settings.nextState(of: .queryShift, from: .ok, value: 0.5) == .ok)
        #expect(settings.nextState(of: .queryShift, from: .ok, value: 0.03) == .warning)
        #expect(settings.nextState(of: .queryShift, from: .ok, value: 0.001) == .drifting)
        #expect(settings.nextState(of: .queryShift, from: .drifting, value: 0.03) == .drifting)
        #expect(settings.nextState(of: .queryShift, from: .drifting, value: 0.2) == .ok)
    }

    @Test func actionsParseAndBadOnesAreNamed() throws {
        let defaults = DriftSettings().actions
        let parsed = try DriftSettings.parseActions("query_shift=alert, negative_feedback_rate=alert+refresh,knowledge_gaps=none", defaults: defaults).get()
        #expect(parsed[.queryShift] == [.alert])
        #expect(parsed[.negativeFeedbackRate] == [.alert, .refresh])
        #expect(parsed[.knowledgeGaps] == [])
        #expect(parsed[.cacheMissRate] == defaults[.cacheMissRate])
        for (text, mentions) in [("miss=alert", "cache_miss_rate"), ("query_shift=page", "page"), ("query_shift", "signal=action")] {
            guard case .failure(let error) = DriftSettings.parseActions(text, defaults: defaults) else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(error.description.contains(mentions), "\(error)")
        }
        for (name, value) in [("SPOTTER_DRIFT_WINDOW", "5"), ("SPOTTER_DRIFT_MISS_RATE", "1.5"), ("SPOTTER_DRIFT_WEBHOOK", "ftp://x"),
                              ("SPOTTER_DRIFT_ACTIONS", "query_shift=page"), ("SPOTTER_DRIFT_MIN_SAMPLES", "500")] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") { try SpotterConfiguration.fromEnvironment([name: value]) }
        }
        let configured = try SpotterConfiguration.fromEnvironment([
            "SPOTTER_DRIFT_WINDOW": "50", "SPOTTER_DRIFT_MIN_SAMPLES": "20", "SPOTTER_DRIFT_WEBHOOK": "https://hooks.example.com/x",
        ])
        #expect(configured.drift.window == 50 && configured.drift.minimumSamples == 20)
        #expect(configured.drift.webhook?.host == "hooks.example.com")
    }
}
