/// Vectors read from and written to memory at any alignment: the loads and stores of every
/// vectorised kernel in this module (eight lanes mostly; the pooling kernel reads sixteen and
/// writes four).

/// The eight values from `p` on.
@inline(__always)
func loadEight<T: SIMDScalar>(_ p: UnsafePointer<T>) -> SIMD8<T> { loadVector(SIMD8<T>.self, from: p) }

/// A vector of type `V` from the values from `p` on.
@inline(__always)
func loadVector<V: SIMD>(_: V.Type, from p: UnsafePointer<V.Scalar>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

/// Writes the lanes of `v` to the values from `p` on.
@inline(__always)
func storeVector<V: SIMD>(_ v: V, to p: UnsafeMutablePointer<V.Scalar>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
