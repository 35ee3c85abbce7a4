import Dispatch

/// Runs `body(0..<count)` on up to `count` threads; serially when `count` is 1.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
}

/// Runs `parts` calls that each fill their own zeroed scratch of `size` doubles, then returns the sum
/// of the scratches (a race-free reduction over parts).
func reduceParts(_ parts: Int, size: Int, _ body: (Int, UnsafeMutablePointer<Double>) -> Void) -> [Double] {
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: parts * size)
    defer { scratch.deallocate() }
    scratch.initialize(repeating: 0, count: parts * size)
    parallelFor(parts) { body($0, scratch + $0 * size) }
    var total = [Double](repeating: 0, count: size)
    for p in 0..<parts { for k in 0..<size { total[k] += scratch[p * size + k] } }
    return total
}

/// Sums one value per part, computed in parallel (scratch on the stack: no allocation per gate).
func sumParts<T>(_ parts: Int, zero: T, _ add: (T, T) -> T, _ body: (Int) -> T) -> T {
    if parts <= 1 { return body(0) }
    return withUnsafeTemporaryAllocation(of: T.self, capacity: parts) { results in
        DispatchQueue.concurrentPerform(iterations: parts) { (results.baseAddress! + $0).initialize(to: body($0)) }
        defer { results.baseAddress!.deinitialize(count: parts) }
        return (0..<parts).reduce(zero) { add($0, results[$1]) }
    }
}
