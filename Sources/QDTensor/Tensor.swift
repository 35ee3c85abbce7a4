/// An n-dimensional array of `Scalar` (Float or Double), row-major, with an optional place in
/// the autodiff graph.
///
/// Tensors are values: operations return new tensors and never mutate their inputs. A tensor
/// that requires a gradient carries a ``GradNode``; operations on it record how to push a
/// gradient back (see ``Autograd``), with backward rules built from the same differentiable
/// operations, so gradients of gradients work.
public struct Tensor<Scalar: TensorScalar>: @unchecked Sendable {
    /// The size of each dimension; `[]` for a scalar.
    public let shape: [Int]
    /// The elements, row-major.
    public let values: [Scalar]
    /// The node recording how this tensor was computed, when it requires a gradient.
    public internal(set) var node: GradNode<Scalar>?

    /// A tensor of `shape` holding `values` (row-major). Throws unless the counts agree.
    public init(shape: [Int], values: [Scalar]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError.shape("shape \(shape) has a negative dimension") }
        guard let count = Self.elementCount(shape) else {
            throw TensorError.shape("shape \(shape) holds more elements than an Int counts; got \(values.count) value(s)")
        }
        guard values.count == count else {
            throw TensorError.shape("shape \(shape) holds \(count) element(s); got \(values.count) value(s)")
        }
        self.init(unchecked: shape, values)
    }

    /// The number of elements of `shape`, or nil when a dimension is negative or the product
    /// overflows an `Int` (a shape read from a file or a user, checked before it is used).
    public static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            guard size >= 0 else { return nil }
            let product = count.multipliedReportingOverflow(by: size)
            if product.overflow { return nil }
            count = product.partialValue
        }
        return count
    }

    /// A tensor whose element count is known to match (internal: operations build these).
    init(unchecked shape: [Int], _ values: [Scalar], node: GradNode<Scalar>? = nil) {
        _ = reuseLargeBuffers
        self.shape = shape
        self.values = values
        self.node = node
    }

    /// Whether every element is finite (none is NaN or ±∞).
    public var isFinite: Bool { firstNonFiniteIndex == nil }

    /// The flat (row-major) index of the first element that is NaN or ±∞, or nil when all are finite.
    public var firstNonFiniteIndex: Int? { Kernels.firstNonFinite(values) }

    /// A rank-1 tensor of `values`.
    public init(vector values: [Scalar]) { self.init(unchecked: [values.count], values) }

    /// A scalar (rank 0) tensor.
    public init(_ value: Scalar) { self.init(unchecked: [], [value]) }

    /// A tensor of `shape` filled with `value`.
    public init(repeating value: Scalar, shape: [Int]) {
        self.init(unchecked: shape, Kernels.repeating(value, count: shape.reduce(1, *)))
    }

    /// Zeros of `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

    /// Ones of `shape`.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

    /// One-hot rows [indices.count, classes]: row i is e_{indices[i]}. Throws for an index outside 0..<classes.
    public static func oneHot(_ indices: [Int], classes: Int) throws -> Tensor {
        if let bad = indices.first(where: { !(0..<classes).contains($0) }) {
            throw TensorError.argument("oneHot: index \(bad) is outside 0..<\(classes)")
        }
        var rows = [Scalar](repeating: 0, count: indices.count * classes)
        for (i, k) in indices.enumerated() { rows[i * classes + k] = 1 }
        return Tensor(unchecked: [indices.count, classes], rows)
    }

    /// Samples of N(mean, std²) from `generator` (Box–Muller).
    public static func normal<G: RandomNumberGenerator>(_ shape: [Int], mean: Scalar = 0, std: Scalar = 1,
                                                        using generator: inout G) -> Tensor {
        let count = shape.reduce(1, *)
        var v = Kernels.repeating(Scalar(0), count: count)
        var k = 0
        while k < count {
            let u1 = Scalar.random(in: Scalar.leastNormalMagnitude..<1, using: &generator)
            let u2 = Scalar.random(in: 0..<1, using: &generator)
            let r = Scalar.sqrt(-2 * Scalar.log(u1))
            let angle = 2 * Scalar.pi * u2
            v[k] = mean + std * r * Scalar(Foundation.cos(Double(angle)))
            if k + 1 < count { v[k + 1] = mean + std * r * Scalar(Foundation.sin(Double(angle))) }
            k += 2
        }
        return Tensor(unchecked: shape, v)
    }

    /// Samples of U(low, high) from `generator`.
    public static func uniform<G: RandomNumberGenerator>(_ shape: [Int], low: Scalar, high: Scalar, using generator: inout G) -> Tensor {
        Tensor(unchecked: shape, (0..<shape.reduce(1, *)).map { _ in Scalar.random(in: low..<high, using: &generator) })
    }

    /// Number of elements.
    public var count: Int { values.count }
    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// The single element of a one-element tensor.
    public var item: Scalar { values[0] }

    /// True when gradients flow to this tensor.
    public var requiresGrad: Bool { node != nil }

    /// Inside a backward rule: whether the running backward pass needs this input's gradient
    /// (it requires one and leads to a tensor the gradients are taken with respect to), so a
    /// custom rule (``recorded(from:backward:)``) can return nil for the others, as PyTorch's
    /// `ctx.needs_input_grad`. Outside a backward pass, the same as ``requiresGrad``.
    public var needsGradient: Bool { node.map { NeededNodes.contains(ObjectIdentifier($0)) } ?? false }

    /// This tensor as a leaf of the autodiff graph: gradients can be taken with respect to it.
    public func requiringGrad() -> Tensor { Tensor(unchecked: shape, values, node: GradNode(leaf: ())) }

    /// The same values, cut from the graph (no gradient flows through).
    public var detached: Tensor { Tensor(unchecked: shape, values) }

    /// The same values in another precision (a constant: no gradient flows through).
    public func converted<Other: TensorScalar>(to: Other.Type = Other.self) -> Tensor<Other> {
        Tensor<Other>(unchecked: shape, values.map { Other($0) })
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor\(shape)(\(preview)\(count > 8 ? ", ..." : ""))"
    }
}

import Foundation
