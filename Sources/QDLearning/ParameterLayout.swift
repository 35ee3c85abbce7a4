import QDTensor

/// Where each named parameter lives in a model's single flat parameter vector.
///
/// Models read their weights as views of one flat tensor (SsnL/dataset-distillation's
/// ReparamModule), so the flat vector can be *replaced* by any differentiable tensor, such as the
/// result of unrolled gradient steps, and gradients flow through it.
public struct ParameterLayout: Equatable, Sendable {
    /// One named block: its shape and offset in the flat vector.
    public struct Entry: Equatable, Sendable {
        /// The block's name, e.g. "conv1.weight".
        public let name: String
        /// The block's shape.
        public let shape: [Int]
        /// Its first index in the flat vector.
        public let offset: Int
        /// Number of parameters in the block.
        public var count: Int { shape.reduce(1, *) }
    }

    /// The blocks, in order.
    public private(set) var entries: [Entry] = []
    /// Total number of scalars.
    public private(set) var count = 0

    /// An empty layout.
    public init() {}

    /// Appends a block of `shape` named `name`.
    public mutating func add(_ name: String, _ shape: [Int]) {
        entries.append(Entry(name: name, shape: shape, offset: count))
        count += shape.reduce(1, *)
    }

    /// The layers, in order: the blocks' names up to their first "." ("conv1" for "conv1.weight"
    /// and "conv1.bias"; "alpha" for "alpha").
    public var layers: [String] {
        var seen: [String] = []
        for e in entries where !seen.contains(Self.layer(of: e.name)) { seen.append(Self.layer(of: e.name)) }
        return seen
    }

    /// For every scalar of the flat vector, the index of its layer in ``layers``.
    public var layerOfEachParameter: [Int] {
        var index: [String: Int] = [:]
        return entries.flatMap { e -> [Int] in
            let i = index[Self.layer(of: e.name)] ?? index.count
            index[Self.layer(of: e.name)] = i
            return [Int](repeating: i, count: e.count)
        }
    }

    private static func layer(of name: String) -> String { String(name.prefix { $0 != "." }) }

    /// The entry named `name`, if any.
    public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

    /// The view of block `name` in `flat` (differentiable: a slice and a reshape).
    public func view<S>(_ name: String, in flat: Tensor<S>) throws -> Tensor<S> {
        guard let e = entry(name) else { throw TensorError.argument("no parameter named \(name); known: \(entries.map(\.name))") }
        guard flat.shape == [count] else {
            throw TensorError.shape("the flat parameter vector has shape \(flat.shape); this model needs [\(count)]")
        }
        return try flat.sliced(axis: 0, e.offset..<(e.offset + e.count)).reshaped(e.shape)
    }
}
