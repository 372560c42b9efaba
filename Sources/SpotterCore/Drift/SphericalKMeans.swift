import Foundation

/// k-means on unit vectors by cosine similarity (spherical k-means), seeded with k-means++ from a fixed seed, so
/// the same vectors always give the same clusters.
///
/// Used twice by drift detection: the knowledge base's centroids (what it is about, for the query-shift statistic)
/// and the clusters of unanswered questions (the knowledge-gap report).
public enum SphericalKMeans {
    public struct Result: Sendable {
        /// Unit-length centre of each cluster.
        public var centroids: [[Float]]
        /// The cluster of each input vector.
        public var assignments: [Int]
    }

    /// Clusters `vectors` (any length, normalised here) into at most `k` groups.
    public static func cluster(_ vectors: [[Float]], k: Int, iterations: Int = 25, seed: UInt64 = 0x5eed) -> Result {
        let points = vectors.map(normalised)
        guard !points.isEmpty, k > 0 else { return Result(centroids: [], assignments: []) }
        var generator = SplitMix64(seed: seed)
        var centroids = seeds(points, k: min(k, points.count), generator: &generator)
        var assignments = [Int](repeating: -1, count: points.count)
        for _ in 0..<iterations {
            var changed = false
            for (index, point) in points.enumerated() {
                let best = nearest(point, among: centroids).index
                if best != assignments[index] {
                    assignments[index] = best
                    changed = true
                }
            }
            if !changed { break }
            var sums = [[Float]](repeating: [Float](repeating: 0, count: points[0].count), count: centroids.count)
            var counts = [Int](repeating: 0, count: centroids.count)
            for (index, point) in points.enumerated() {
                let cluster = assignments[index]
                counts[cluster] += 1
                for d in point.indices { sums[cluster][d] += point[d] }
            }
            // An emptied cluster keeps its old centre rather than vanishing.
            for cluster in centroids.indices where counts[cluster] > 0 { centroids[cluster] = normalised(sums[cluster]) }
        }
        return Result(centroids: centroids, assignments: assignments)
    }

    /// The most similar centroid to `vector` (which should be unit length) and the cosine to it.
    public static func nearest(_ vector: [Float], among centroids: [[Float]]) -> (index: Int, similarity: Double) {
        var best = (index: 0, similarity: -Double.infinity)
        for (index, centroid) in centroids.enumerated() {
            let similarity = Double(dot(vector, centroid))
            if similarity > best.similarity { best = (index, similarity) }
        }
        return best
    }

    /// k-means++: each next seed drawn with probability proportional to its distance (1 − cosine) from the seeds so far.
    private static func seeds(_ points: [[Float]], k: Int, generator: inout SplitMix64) -> [[Float]] {
        var chosen = [points[Int(generator.next() % UInt64(points.count))]]
        var distance = points.map { Double(max(0, 1 - dot($0, chosen[0]))) }
        while chosen.count < k {
            let total = distance.reduce(0, +)
            guard total > 0 else { break }  // every point sits on a seed already
            var target = Double(generator.next() >> 11) / Double(1 << 53) * total
            var pick = points.count - 1
            for (index, weight) in distance.enumerated() {
                target -= weight
                if target <= 0, weight > 0 { pick = index; break }
            }
            chosen.append(points[pick])
            for index in points.indices { distance[index] = min(distance[index], Double(max(0, 1 - dot(points[index], points[pick])))) }
        }
        return chosen
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        var sum: Float = 0
        for index in 0..<min(a.count, b.count) { sum += a[index] * b[index] }
        return sum
    }

    static func normalised(_ vector: [Float]) -> [Float] {
        let norm = dot(vector, vector).squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
