import Dispatch
import Foundation

// Numeric kernels of the MiniLM encoder: a packed SIMD matrix multiply, layer norm, attention, GELU.
// Everything here works on raw pointers into buffers owned by the caller; nothing allocates per element.
//
// Build modes. The default x86-64 target (SSE2) runs 6×8 tiles with separate multiply and add (an FMA there would be
// a libm call per lane). On CPUs with AVX2 and FMA, building with
//     -Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DSPOTTER_FMA
// switches ``linear`` and ``attention`` to 6×16 tiles with fused multiply-add (≈2× the default build's matmul speed).
// `-DSPOTTER_FMA` must never be used without a target that has FMA. Results differ between the two modes only by
// rounding (cosine to the reference ≥ 0.99999 either way); within one build they are deterministic.

/// Rows computed together by the matmul micro-kernel; activation buffers are padded to a multiple of this.
let microRows = 6
/// Output columns per packed weight panel (one `SIMD8<Float>`).
let panelWidth = 8

/// A linear layer `y = x·Wᵀ + b` whose weight is packed at load time into panels of 8 output columns:
/// `packed[p][k][j] = W[p*8 + j][k]`, so the micro-kernel streams one contiguous `SIMD8` per `k`.
struct PackedLinear: Sendable {
    let inFeatures: Int
    let outFeatures: Int
    let packed: [Float]
    let bias: [Float]

    /// `weights` rows are output features (PyTorch `[out, in]` layout); several may be concatenated along `out`.
    init(weights: [Float], bias: [Float], inFeatures: Int, outFeatures: Int) {
        precondition(outFeatures % panelWidth == 0 && weights.count == inFeatures * outFeatures)
        precondition(bias.count == outFeatures)
        var packed = [Float](repeating: 0, count: weights.count)
        let panels = outFeatures / panelWidth
        for p in 0..<panels {
            for k in 0..<inFeatures {
                for j in 0..<panelWidth {
                    packed[(p * inFeatures + k) * panelWidth + j] = weights[(p * panelWidth + j) * inFeatures + k]
                }
            }
        }
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.packed = packed
        self.bias = bias
    }
}

/// A fixed number of worker threads running a list of tasks, taken in order from a shared counter.
struct WorkPool: Sendable {
    let threads: Int

    /// Runs `body(task)` for every task in `0..<count`, spreading tasks over the threads.
    func run(_ count: Int, _ body: (Int) -> Void) {
        run(count) { task, _ in body(task) }
    }

    /// Runs `body(task, worker)` for every task in `0..<count`; `worker` (in `0..<threads`) identifies the thread,
    /// so a task may use per-worker scratch memory without locking.
    func run(_ count: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        if count <= 0 { return }
        let workers = min(threads, count)
        if workers <= 1 {
            for t in 0..<count { body(t, 0) }
            return
        }
        let counter = TaskCounter()
        withoutActuallyEscaping(body) { body in
            let box = UnsafeSendableBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let t = counter.next()
                    if t >= count { break }
                    box.value(t, worker)
                }
            }
        }
    }
}

private final class TaskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let v = value
        value += 1
        return v
    }
}

/// Wraps a non-Sendable value (a closure over raw buffers) that is known to be used safely across threads: every
/// task writes a disjoint part of the output.
struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// `out[r][n] = act(Σ_k a[r][k]·W[n][k] + b[n])` for `rows` rows (a multiple of ``microRows``).
///
/// Work is split into blocks of rows × groups of column panels, spread over the pool. Inside a task the reduction
/// dimension is cut into k-blocks of at most ``kBlock``; for each 6-row tile and k-block the A values are copied once,
/// each replicated 4× (``packBroadcast``), into a buffer small enough to stay in L1 while the packed weights of a
/// chunk of panels (sized to stay in L2) stream past it. The k-blocks are the same whatever the thread count, so every
/// output is summed in the same order and results do not depend on the threading.
func linear(
    _ a: UnsafePointer<Float>, rows: Int, _ layer: PackedLinear, _ out: UnsafeMutablePointer<Float>,
    gelu: Bool = false, pool: WorkPool
) {
    precondition(rows % microRows == 0)
    let K = layer.inFeatures
    let N = layer.outFeatures
    let panels = N / panelWidth
    let tiles = rows / microRows
    // Row blocks of up to 4 tiles (24 rows); split columns too when there are few row blocks.
    let tilesPerBlock = 4
    let rowBlocks = (tiles + tilesPerBlock - 1) / tilesPerBlock
    var colGroups = 1
    let wanted = pool.threads * 3
    if pool.threads > 1 && rowBlocks < wanted {
        colGroups = max(1, min(panels / 2, (wanted + rowBlocks - 1) / rowBlocks))
    }
    // Whole panel pairs per group (the wide kernel takes two panels at a time).
    let panelsPerGroup = ((panels + colGroups - 1) / colGroups + 1) / 2 * 2
    colGroups = (panels + panelsPerGroup - 1) / panelsPerGroup
    let kBlocks = (K + kBlock - 1) / kBlock
    let kc = (K + kBlocks - 1) / kBlocks
    // Panels per chunk: the chunk's k-block slice of packed weights (kc·8 floats per panel) stays within ~192 KB.
    let chunk = max(2, min(panelsPerGroup, 192 * 1024 / (kc * panelWidth * 4)) / 2 * 2)
    let aAddr = UnsafeSendableBox(a)
    let outAddr = UnsafeSendableBox(out)
    layer.packed.withUnsafeBufferPointer { wBuf in
        layer.bias.withUnsafeBufferPointer { bBuf in
            let w = UnsafeRawPointer(wBuf.baseAddress!)
            let b = UnsafeRawPointer(bBuf.baseAddress!)
            pool.run(rowBlocks * colGroups) { task in
                let rb = task / colGroups
                let cg = task % colGroups
                let tileStart = rb * tilesPerBlock
                let tileEnd = min(tiles, tileStart + tilesPerBlock)
                let pStart = cg * panelsPerGroup
                let pEnd = min(panels, pStart + panelsPerGroup)
                let abuf = UnsafeMutableRawPointer.allocate(byteCount: kc * microRows * 16, alignment: 64)
                defer { abuf.deallocate() }
                let a = aAddr.value
                let out = outAddr.value
                var c0 = pStart
                while c0 < pEnd {
                    let c1 = min(pEnd, c0 + chunk)
                    for tile in tileStart..<tileEnd {
                        let r = tile * microRows
                        var k0 = 0
                        while k0 < K {
                            let kn = min(kc, K - k0)
                            packBroadcast(a + r * K + k0, K, kn, abuf)
                            let first = k0 == 0
                            let act = gelu && k0 + kn == K
                            panelRange(
                                UnsafeRawPointer(abuf), kn, w + k0 * panelWidth * 4, K * panelWidth * 4, c0, c1,
                                out + r * N, N, b, panelWidth * 4, first, act)
                            k0 += kn
                        }
                    }
                    c0 = c1
                }
            }
        }
    }
}

/// The largest reduction block of ``linear``: K = 384 runs as 2 blocks of 192, K = 1536 as 8
/// (6 rows × 4 copies × 4 bytes × 192 = 18 KB of broadcast A, which stays in L1).
let kBlock = 192

/// Copies `kn` columns of 6 rows of A (row stride `lda`) to `dst` as `[k][row][4 copies]`, the layout the
/// micro-kernels read: one aligned 16-byte load per row and k, no shuffles in the inner loop.
@inline(__always)
func packBroadcast(_ a: UnsafePointer<Float>, _ lda: Int, _ kn: Int, _ dst: UnsafeMutableRawPointer) {
    for r in 0..<microRows {
        let src = a + r * lda
        var d = dst + r * 16
        for k in 0..<kn {
            d.storeBytes(of: SIMD4<Float>(repeating: src[k]), as: SIMD4<Float>.self)
            d += microRows * 16
        }
    }
}

/// Runs the micro-kernel over panels `p0..<p1` for one 6-row tile and one k-block: `ab` is the broadcast A block
/// (``packBroadcast``), `w` the weights at the block's first k of panel 0 (panels `panelStride` bytes apart), `c` the
/// tile's first output row (`ldc` floats per row), `bias` the bias of panel 0 (`biasStep` bytes per panel: 32, or 0
/// for a shared block of 16 zeros). `first`: start from the bias (else
/// accumulate onto `c`); `gelu`: apply GELU before storing (last k-block only).
@inline(__always)
func panelRange(
    _ ab: UnsafeRawPointer, _ kn: Int, _ w: UnsafeRawPointer, _ panelStride: Int, _ p0: Int, _ p1: Int,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ bias: UnsafeRawPointer, _ biasStep: Int, _ first: Bool,
    _ gelu: Bool
) {
    var p = p0
    #if SPOTTER_FMA
    while p + 1 < p1 {
        kernel6x16(ab, kn, w + p * panelStride, w + (p + 1) * panelStride, c + p * panelWidth, ldc,
                   bias + p * biasStep, first, gelu)
        p += 2
    }
    #endif
    while p < p1 {
        kernel6x8(ab, kn, w + p * panelStride, c + p * panelWidth, ldc, bias + p * biasStep, first, gelu)
        p += 1
    }
}

/// 6 rows × 8 columns: 12 SSE registers of accumulators (6 AVX ones), multiply then add (no FMA, which would be a
/// libm call per lane without `-target-cpu`). The broadcast A value is loaded once and used for both halves.
// The micro-kernels are kept out of line: inlined into the big task closures, LLVM has been seen to reorder the
// loop body and spill accumulators. One call per 6×8 (6×16) tile and k-block costs nothing measurable.
@inline(never)
private func kernel6x8(
    _ ab: UnsafeRawPointer, _ kn: Int, _ w: UnsafeRawPointer, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
    _ bias: UnsafeRawPointer, _ first: Bool, _ gelu: Bool
) {
    let cr = UnsafeMutableRawPointer(c)
    let ld = ldc * 4
    var c0: SIMD8<Float>, c1: SIMD8<Float>, c2: SIMD8<Float>, c3: SIMD8<Float>, c4: SIMD8<Float>, c5: SIMD8<Float>
    if first {
        let bv = bias.loadUnaligned(as: SIMD8<Float>.self)
        c0 = bv; c1 = bv; c2 = bv; c3 = bv; c4 = bv; c5 = bv
    } else {
        c0 = cr.loadUnaligned(as: SIMD8<Float>.self)
        c1 = cr.loadUnaligned(fromByteOffset: ld, as: SIMD8<Float>.self)
        c2 = cr.loadUnaligned(fromByteOffset: 2 * ld, as: SIMD8<Float>.self)
        c3 = cr.loadUnaligned(fromByteOffset: 3 * ld, as: SIMD8<Float>.self)
        c4 = cr.loadUnaligned(fromByteOffset: 4 * ld, as: SIMD8<Float>.self)
        c5 = cr.loadUnaligned(fromByteOffset: 5 * ld, as: SIMD8<Float>.self)
    }
    var ap = ab
    var wp = w
    let end = w + kn * 32
    while wp < end {
        let wv = wp.loadUnaligned(as: SIMD8<Float>.self)
        let x0 = ap.loadUnaligned(as: SIMD4<Float>.self)
        let x1 = ap.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
        let x2 = ap.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
        let x3 = ap.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
        let x4 = ap.loadUnaligned(fromByteOffset: 64, as: SIMD4<Float>.self)
        let x5 = ap.loadUnaligned(fromByteOffset: 80, as: SIMD4<Float>.self)
        c0 += wv * SIMD8(lowHalf: x0, highHalf: x0)
        c1 += wv * SIMD8(lowHalf: x1, highHalf: x1)
        c2 += wv * SIMD8(lowHalf: x2, highHalf: x2)
        c3 += wv * SIMD8(lowHalf: x3, highHalf: x3)
        c4 += wv * SIMD8(lowHalf: x4, highHalf: x4)
        c5 += wv * SIMD8(lowHalf: x5, highHalf: x5)
        ap += 96
        wp += 32
    }
    if gelu {
        c0 = geluVector(c0); c1 = geluVector(c1); c2 = geluVector(c2)
        c3 = geluVector(c3); c4 = geluVector(c4); c5 = geluVector(c5)
    }
    cr.storeBytes(of: c0, as: SIMD8<Float>.self)
    cr.storeBytes(of: c1, toByteOffset: ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c2, toByteOffset: 2 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c3, toByteOffset: 3 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c4, toByteOffset: 4 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c5, toByteOffset: 5 * ld, as: SIMD8<Float>.self)
}

#if SPOTTER_FMA
/// 6 rows × 16 columns (two panels) with fused multiply-add: 12 AVX accumulators, enough independent chains to keep
/// both FMA pipes busy. Only compiled with `-D SPOTTER_FMA`, which must come with a target that has FMA
/// (`-target-cpu haswell` or later): without hardware FMA every `addingProduct` would be a libm call.
@inline(never)
private func kernel6x16(
    _ ab: UnsafeRawPointer, _ kn: Int, _ w0: UnsafeRawPointer, _ w1: UnsafeRawPointer,
    _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ bias: UnsafeRawPointer, _ first: Bool, _ gelu: Bool
) {
    let cr = UnsafeMutableRawPointer(c)
    let ld = ldc * 4
    var c00: SIMD8<Float>, c10: SIMD8<Float>, c20: SIMD8<Float>, c30: SIMD8<Float>, c40: SIMD8<Float>
    var c50: SIMD8<Float>, c01: SIMD8<Float>, c11: SIMD8<Float>, c21: SIMD8<Float>, c31: SIMD8<Float>
    var c41: SIMD8<Float>, c51: SIMD8<Float>
    if first {
        let b0 = bias.loadUnaligned(as: SIMD8<Float>.self)
        let b1 = bias.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        c00 = b0; c10 = b0; c20 = b0; c30 = b0; c40 = b0; c50 = b0
        c01 = b1; c11 = b1; c21 = b1; c31 = b1; c41 = b1; c51 = b1
    } else {
        c00 = cr.loadUnaligned(as: SIMD8<Float>.self)
        c01 = cr.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        c10 = cr.loadUnaligned(fromByteOffset: ld, as: SIMD8<Float>.self)
        c11 = cr.loadUnaligned(fromByteOffset: ld + 32, as: SIMD8<Float>.self)
        c20 = cr.loadUnaligned(fromByteOffset: 2 * ld, as: SIMD8<Float>.self)
        c21 = cr.loadUnaligned(fromByteOffset: 2 * ld + 32, as: SIMD8<Float>.self)
        c30 = cr.loadUnaligned(fromByteOffset: 3 * ld, as: SIMD8<Float>.self)
        c31 = cr.loadUnaligned(fromByteOffset: 3 * ld + 32, as: SIMD8<Float>.self)
        c40 = cr.loadUnaligned(fromByteOffset: 4 * ld, as: SIMD8<Float>.self)
        c41 = cr.loadUnaligned(fromByteOffset: 4 * ld + 32, as: SIMD8<Float>.self)
        c50 = cr.loadUnaligned(fromByteOffset: 5 * ld, as: SIMD8<Float>.self)
        c51 = cr.loadUnaligned(fromByteOffset: 5 * ld + 32, as: SIMD8<Float>.self)
    }
    var ap = ab
    var k = 0
    while k < kn {
        let u = w0.loadUnaligned(fromByteOffset: k * 32, as: SIMD8<Float>.self)
        let v = w1.loadUnaligned(fromByteOffset: k * 32, as: SIMD8<Float>.self)
        var x = ap.loadUnaligned(as: SIMD4<Float>.self)
        var a = SIMD8(lowHalf: x, highHalf: x)
        c00 = c00.addingProduct(u, a); c01 = c01.addingProduct(v, a)
        x = ap.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self)
        a = SIMD8(lowHalf: x, highHalf: x)
        c10 = c10.addingProduct(u, a); c11 = c11.addingProduct(v, a)
        x = ap.loadUnaligned(fromByteOffset: 32, as: SIMD4<Float>.self)
        a = SIMD8(lowHalf: x, highHalf: x)
        c20 = c20.addingProduct(u, a); c21 = c21.addingProduct(v, a)
        x = ap.loadUnaligned(fromByteOffset: 48, as: SIMD4<Float>.self)
        a = SIMD8(lowHalf: x, highHalf: x)
        c30 = c30.addingProduct(u, a); c31 = c31.addingProduct(v, a)
        x = ap.loadUnaligned(fromByteOffset: 64, as: SIMD4<Float>.self)
        a = SIMD8(lowHalf: x, highHalf: x)
        c40 = c40.addingProduct(u, a); c41 = c41.addingProduct(v, a)
        x = ap.loadUnaligned(fromByteOffset: 80, as: SIMD4<Float>.self)
        a = SIMD8(lowHalf: x, highHalf: x)
        c50 = c50.addingProduct(u, a); c51 = c51.addingProduct(v, a)
        ap += 96
        k += 1
    }
    if gelu {
        c00 = geluVector(c00); c10 = geluVector(c10); c20 = geluVector(c20)
        c30 = geluVector(c30); c40 = geluVector(c40); c50 = geluVector(c50)
        c01 = geluVector(c01); c11 = geluVector(c11); c21 = geluVector(c21)
        c31 = geluVector(c31); c41 = geluVector(c41); c51 = geluVector(c51)
    }
    cr.storeBytes(of: c00, as: SIMD8<Float>.self)
    cr.storeBytes(of: c01, toByteOffset: 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: c10, toByteOffset: ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c11, toByteOffset: ld + 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: c20, toByteOffset: 2 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c21, toByteOffset: 2 * ld + 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: c30, toByteOffset: 3 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c31, toByteOffset: 3 * ld + 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: c40, toByteOffset: 4 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c41, toByteOffset: 4 * ld + 32, as: SIMD8<Float>.self)
    cr.storeBytes(of: c50, toByteOffset: 5 * ld, as: SIMD8<Float>.self)
    cr.storeBytes(of: c51, toByteOffset: 5 * ld + 32, as: SIMD8<Float>.self)
}
#endif

/// GELU with the exact error function, `x·Φ(x) = 0.5·x·(1 + erf(x/√2))`; erf by Abramowitz–Stegun 7.1.26
/// (absolute error ≤ 1.5e-7, below Float32 rounding of the activations).
@inline(__always)
func geluVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let z = x * 0.70710678118654752
    let zBits = unsafeBitCast(z, to: SIMD8<UInt32>.self)
    let signBit = zBits & 0x8000_0000
    let az = unsafeBitCast(zBits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    let t = 1 / (1 + 0.3275911 * az)
    var p = SIMD8<Float>(repeating: 1.061405429)
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    p = p * t
    let e = 1 - p * expVector(-(az * az))
    let erf = unsafeBitCast(unsafeBitCast(e, to: SIMD8<UInt32>.self) | signBit, to: SIMD8<Float>.self)
    return 0.5 * x * (1 + erf)
}

/// `exp(x)` for a vector: `2ⁿ·exp(r)` with `n = round(x/ln2)`, `r = x − n·ln2` (two-part ln2), and a degree-6
/// Taylor polynomial for `exp(r)` on |r| ≤ ln2/2 (relative error ≈ 2e-7). Inputs below −87 give ~0.
/// Rounding and the float→int conversion use the 1.5·2²³ "magic number" trick (the generic SIMD conversions are slow).
@inline(__always)
func expVector(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // (`clamped(lowerBound:upperBound:)` is not specialised for SIMD8 and ends up as slow generic calls.)
    let lo = SIMD8<Float>(repeating: -87), hi = SIMD8<Float>(repeating: 88)
    let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    let magic: Float = 12_582_912  // 1.5 · 2^23
    let shifted = xc * 1.4426950408889634 + magic
    let n = shifted - magic  // round to nearest even
    let r = (xc - n * 0.693145751953125) - n * 1.428606765330187e-06
    var p = SIMD8<Float>(repeating: 1.0 / 720)
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // The low mantissa bits of `shifted` hold n (two's complement); 2^n has exponent bits n + 127.
    let nBits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000
    let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * scale
}

/// `x[r] = LayerNorm(x[r] + residual[r])` for each row, with gain `g` and bias `b` (width 384 or any multiple of 8).
func addLayerNorm(
    _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int,
    gain: [Float], bias: [Float], eps: Float, pool: WorkPool
) {
    let xAddr = UnsafeSendableBox(x)
    let rAddr = UnsafeSendableBox(residual)
    let blocks = (rows + 31) / 32
    gain.withUnsafeBufferPointer { gBuf in
        bias.withUnsafeBufferPointer { bBuf in
            let g = UnsafeRawPointer(gBuf.baseAddress!)
            let bb = UnsafeRawPointer(bBuf.baseAddress!)
            pool.run(blocks) { blk in
                for r in (blk * 32)..<min(rows, blk * 32 + 32) {
                    let row = UnsafeMutableRawPointer(xAddr.value + r * width)
                    let res = rAddr.value.map { UnsafeRawPointer($0 + r * width) }
                    var sum = SIMD8<Float>()
                    var j = 0
                    while j < width {
                        var v = row.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        if let res { v += res.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) }
                        row.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        sum += v
                        j += 8
                    }
                    let mean = sum.sum() / Float(width)
                    var sq = SIMD8<Float>()
                    j = 0
                    while j < width {
                        let d = row.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - mean
                        sq += d * d
                        j += 8
                    }
                    let inv = 1 / (sq.sum() / Float(width) + eps).squareRoot()
                    j = 0
                    while j < width {
                        let v = row.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        let gv = g.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        let bv = bb.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        row.storeBytes(of: (v - mean) * inv * gv + bv, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        j += 8
                    }
                }
            }
        }
    }
}

/// One sequence's slice of the packed token rows.
struct SequenceSpan: Sendable {
    let start: Int
    let length: Int
}

/// Scratch floats one attention task needs for a sequence of `maxLength` tokens (see ``attention``).
func attentionScratchFloats(maxLength: Int) -> Int {
    let n8 = (maxLength + 7) / 8 * 8
    return (94 * n8 + 992 + 15) / 16 * 16
}

/// Multi-head self-attention without masking, each sequence attending only to its own tokens.
/// `qkv` rows hold `[q | k | v]` (3·hidden wide); the context goes to `out` (hidden wide).
///
/// One task per (sequence, head), run as two small matrix products with the same micro-kernels as ``linear``: the
/// head's keys are packed as 8-key panels and its values as 4 panels of 8 dimensions; then per tile of 6 queries,
/// scores = q·Kᵀ/√d (queries pre-scaled and broadcast), a row softmax whose probabilities are written in the broadcast
/// layout, and context = P·V. Each worker thread owns a scratch area of `scratchPerTask` floats
/// (``attentionScratchFloats(maxLength:)``).
func attention(
    qkv: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, spans: [SequenceSpan], hidden: Int, heads: Int,
    scratch: UnsafeMutablePointer<Float>, scratchPerTask: Int, pool: WorkPool
) {
    let headDim = hidden / heads
    precondition(headDim == 32, "the attention kernel is specialised for a head size of 32")
    let ld = 3 * hidden
    let scale = 1 / Float(headDim).squareRoot()
    let qAddr = UnsafeSendableBox(qkv)
    let oAddr = UnsafeSendableBox(out)
    let sAddr = UnsafeSendableBox(scratch)
    spans.withUnsafeBufferPointer { spansBuf in
        let spanAddr = UnsafeSendableBox(spansBuf.baseAddress!)
        pool.run(spans.count * heads) { task, worker in
            let span = spanAddr.value[task / heads]
            let h = task % heads
            let n = span.length
            if n == 0 { return }
            let n8 = (n + 7) / 8 * 8
            let keyPanels = UnsafeMutableRawPointer(sAddr.value + worker * scratchPerTask)  // [n8/8][32][8]
            let valuePanels = keyPanels + 32 * n8 * 4  // [4][n8][8]
            let scores = (valuePanels + 32 * n8 * 4).assumingMemoryBound(to: Float.self)  // [6][n8]
            let probs = UnsafeMutableRawPointer(scores + 6 * n8)  // [n8][6][4]
            let queries = probs + 24 * n8 * 4  // [32][6][4]
            let context = (queries + 768 * 4).assumingMemoryBound(to: Float.self)  // [6][32]
            let zero = UnsafeMutableRawPointer(context + 192)  // 32 zeros: the (absent) bias
            zero.initializeMemory(as: Float.self, repeating: 0, count: 32)
            let base = qAddr.value + span.start * ld
            let qOff = h * headDim
            let kOff = hidden + h * headDim
            let vOff = 2 * hidden + h * headDim

            // Keys as panels of 8 keys (k-dimension = head dimension), values as 4 panels of 8 dimensions
            // (k-dimension = keys); padding keys are zero.
            let kp = keyPanels.assumingMemoryBound(to: Float.self)
            for j in 0..<n8 {
                let dst = kp + (j / 8) * 256 + (j % 8)
                if j < n {
                    let src = base + j * ld + kOff
                    for d in 0..<32 { dst[d * 8] = src[d] }
                } else {
                    for d in 0..<32 { dst[d * 8] = 0 }
                }
                let vsrc = UnsafeRawPointer(base + j * ld + vOff)
                for p in 0..<4 {
                    let v = j < n ? vsrc.loadUnaligned(fromByteOffset: p * 32, as: SIMD8<Float>.self) : SIMD8()
                    valuePanels.storeBytes(of: v, toByteOffset: (p * n8 + j) * 32, as: SIMD8<Float>.self)
                }
            }

            var i0 = 0
            while i0 < n {
                // Queries i0..<i0+6, scaled by 1/√d and broadcast; rows past the sequence are zero.
                for r in 0..<microRows {
                    let i = i0 + r
                    var d = queries + r * 16
                    if i < n {
                        let q = base + i * ld + qOff
                        for k in 0..<32 {
                            d.storeBytes(of: SIMD4<Float>(repeating: q[k] * scale), as: SIMD4<Float>.self)
                            d += microRows * 16
                        }
                    } else {
                        for _ in 0..<32 {
                            d.storeBytes(of: SIMD4<Float>(), as: SIMD4<Float>.self)
                            d += microRows * 16
                        }
                    }
                }
                panelRange(UnsafeRawPointer(queries), 32, UnsafeRawPointer(keyPanels), 256 * 4, 0, n8 / 8,
                           scores, n8, UnsafeRawPointer(zero), 0, true, false)
                // Softmax of each row over the n real keys, written broadcast for the P·V product.
                for r in 0..<microRows {
                    let row = scores + r * n8
                    for j in n..<n8 { row[j] = -.infinity }
                    let rr = UnsafeMutableRawPointer(row)
                    var mv = SIMD8<Float>(repeating: -.infinity)
                    var j = 0
                    while j < n8 {
                        let s = rr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                        mv = mv.replacing(with: s, where: s .> mv)
                        j += 8
                    }
                    var m = mv[0]
                    for l in 1..<8 where mv[l] > m { m = mv[l] }
                    var total = SIMD8<Float>()
                    j = 0
                    while j < n8 {
                        let e = expVector(rr.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - m)
                        rr.storeBytes(of: e, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        total += e
                        j += 8
                    }
                    // Padding keys got exp(−87) ≈ 1e-38, which vanishes in a total ≥ 1; P must be exactly 0 there.
                    for j in n..<n8 { row[j] = 0 }
                    let inv = 1 / total.sum()
                    var d = probs + r * 16
                    for j in 0..<n8 {
                        d.storeBytes(of: SIMD4<Float>(repeating: row[j] * inv), as: SIMD4<Float>.self)
                        d += microRows * 16
                    }
                }
                panelRange(UnsafeRawPointer(probs), n8, UnsafeRawPointer(valuePanels), n8 * 32, 0, 4,
                           context, 32, UnsafeRawPointer(zero), 0, true, false)
                let cr = UnsafeRawPointer(context)
                for r in 0..<min(microRows, n - i0) {
                    let o = UnsafeMutableRawPointer(oAddr.value + (span.start + i0 + r) * hidden + h * headDim)
                    for p in 0..<4 {
                        o.storeBytes(
                            of: cr.loadUnaligned(fromByteOffset: (r * 32 + p * 8) * 4, as: SIMD8<Float>.self),
                            toByteOffset: p * 32, as: SIMD8<Float>.self)
                    }
                }
                i0 += microRows
            }
        }
    }
}
