import Foundation

/// A node of the autodiff graph: the inputs an operation read (those that require gradients)
/// and the rule that maps the gradient of its output to gradients of those inputs.
///
/// Rules are written with ordinary tensor operations. When ``Autograd/gradients(of:wrt:seed:createGraph:)``
/// runs them with `createGraph: true`, they record nodes of their own, and the gradients can be
/// differentiated again (Hessian-vector products, meta-gradients through training steps).
public final class GradNode<Scalar: TensorScalar> {
    /// The input nodes, in the order the backward rule returns their gradients.
    let inputs: [GradNode?]
    /// Maps ∂L/∂output to ∂L/∂input for each input (nil where an input needs none). Nil for a
    /// leaf, and once ``releaseRule()`` has dropped it.
    private(set) var backward: ((Tensor<Scalar>) throws -> [Tensor<Scalar>?])?
    /// Set when the output is the contiguous block `range` of the storage of its single input, of
    /// shape `inputShape` (a slice in storage order). The backward pass then gathers all blocks of one input and
    /// assembles its gradient once (see ``Autograd``), instead of padding each block's gradient to
    /// the input's full size and adding them: a model reading its weights as views of one flat
    /// vector would otherwise pay O(blocks × parameters) per backward pass.
    let block: (range: Range<Int>, inputShape: [Int])?
    /// The independent pieces `backward` is made of, when it was recorded in pieces (see
    /// ``BackwardPiece``): a parallel pass runs them side by side. Empty for a rule in one piece.
    private(set) var pieces: [BackwardPiece<Scalar>]
    /// Set when a pass with `releaseGraph: true` ran this node's rule and dropped it.
    private(set) var released = false

    /// Drops the rule, and with it the tensors it saved (PyTorch frees a graph's buffers the same
    /// way after a backward pass without `retain_graph`). The node keeps its inputs, so a later
    /// pass can still tell that it had a rule, and fails with an error instead of treating it as a leaf.
    func releaseRule() {
        backward = nil
        pieces = []
        released = true
    }

    /// A leaf: a tensor gradients are taken with respect to.
    init(leaf: Void) { inputs = []; backward = nil; block = nil; pieces = [] }

    init(inputs: [GradNode?], block: (range: Range<Int>, inputShape: [Int])? = nil, backward: @escaping (Tensor<Scalar>) throws -> [Tensor<Scalar>?]) {
        self.inputs = inputs
        self.backward = backward
        self.block = block
        pieces = []
    }

    /// A node whose rule is `pieces`: `backward` runs them in order and files each piece's
    /// gradients at its slots.
    init(inputs: [GradNode?], pieces: [BackwardPiece<Scalar>]) {
        self.inputs = inputs
        self.pieces = pieces
        block = nil
        let count = inputs.count
        backward = { g in try BackwardPiece.merged(pieces.map { try $0.rule(g) }, of: pieces, inputs: count) }
    }
}

/// One piece of a backward rule recorded in pieces: the gradients of the inputs at `slots`, in
/// that order. A convolution's input gradient and its weight gradient need each other's inputs but
/// not each other's results, so a parallel backward pass runs them side by side: in a meta-gradient
/// the weight gradient then leaves the critical path, the chain of input gradients through the
/// layers and inner steps.
struct BackwardPiece<Scalar: TensorScalar> {
    /// The input slots this piece differentiates.
    let slots: [Int]
    /// ∂L/∂output ↦ the gradients of those inputs (nil where one needs none).
    let rule: (Tensor<Scalar>) throws -> [Tensor<Scalar>?]

    /// The whole rule's result from its pieces' results: one gradient (or nil) per input.
    static func merged(_ results: [[Tensor<Scalar>?]], of pieces: [BackwardPiece], inputs: Int) -> [Tensor<Scalar>?] {
        var all = [Tensor<Scalar>?](repeating: nil, count: inputs)
        for (piece, result) in zip(pieces, results) {
            for (slot, gradient) in zip(piece.slots, result) { all[slot] = gradient }
        }
        return all
    }
}

/// Whether operations record graph nodes. Off inside ``Autograd/withoutGradients(_:)`` (inference)
/// and while a backward pass runs without `createGraph`. The flag is per thread, in a
/// ``ThreadSlot`` (set while disabled): every operation reads it.
enum GradMode {
    private static let disabled = ThreadSlot("the gradient mode")

    static var isEnabled: Bool { disabled.value == nil }

    static func with<R>(enabled: Bool, _ body: () throws -> R) rethrows -> R {
        try disabled.with(enabled ? nil : UnsafeRawPointer(bitPattern: 1), body)
    }
}

/// The nodes a running backward pass needs gradients for, per thread (in a ``ThreadSlot``, as
/// ``GradMode``): those from which one of its `wrt` inputs can be reached. A backward rule asks
/// through ``Tensor/needsGradient`` and skips the gradients nobody will read, as PyTorch's rules
/// ask `needs_input_grad`: an inner training step differentiates to the weights only, and the
/// synthetic images' gradient through the first convolution would be computed and dropped.
enum NeededNodes {
    /// The needed nodes of one pass's ``GraphOrder``, boxed to live in a thread slot.
    final class Scope {
        private let position: NodePositions
        private let needed: [Bool]
        init<S>(_ order: GraphOrder<S>) { (position, needed) = (order.position, order.needed) }
        /// Whether `node` is in the pass's graph and needed.
        func contains(_ node: ObjectIdentifier) -> Bool { position[node].map { needed[$0] } ?? false }
    }

    private static let current = ThreadSlot("the backward scope")

    /// Whether `node`'s gradient is needed: always, outside a backward pass.
    static func contains(_ node: ObjectIdentifier) -> Bool {
        guard let raw = current.value else { return true }
        return Unmanaged<Scope>.fromOpaque(raw).takeUnretainedValue().contains(node)
    }

    /// This thread's needed nodes (nil outside a backward pass), to hand to the threads of a
    /// parallel one.
    static var currentScope: Scope? { current.value.map { Unmanaged<Scope>.fromOpaque($0).takeUnretainedValue() } }

    /// Runs `body` with `scope` as this thread's needed nodes, then restores the previous scope.
    static func with<R>(_ scope: Scope, _ body: () throws -> R) rethrows -> R {
        try withExtendedLifetime(scope) { try current.with(UnsafeRawPointer(Unmanaged.passUnretained(scope).toOpaque()), body) }
    }
}

/// Reverse-mode differentiation over the graph the tensors recorded.
public enum Autograd {
    /// Runs `body` without recording any graph (inference, optimiser updates).
    public static func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
        try GradMode.with(enabled: false, body)
    }

    /// ∂(Σ seed ⊙ output)/∂x for every x in `inputs` (seed defaults to ones).
    ///
    /// With `createGraph: true` the backward rules record their own graph, so the returned
    /// gradients can be differentiated again (PyTorch's `create_graph=True`). An input the output
    /// does not depend on gets zeros.
    ///
    /// With `releaseGraph: true` each node drops its rule, and the tensors the rule saved, as soon
    /// as the rule has run, so the graph's memory is freed while the pass walks it rather than all
    /// at once afterwards (PyTorch's default, `retain_graph=False`). Another pass through those
    /// nodes then throws. The distillation's meta-gradient, the last pass through its unrolled
    /// steps, releases them.
    ///
    /// With `stopAtInputs` the traversal treats the inputs as leaves and goes no further, so an
    /// operation can differentiate its own sub-graph from inside a backward rule; the gradients
    /// stay functions of the inputs themselves.
    ///
    /// A pass that needs gradients for at least ``parallelMinimumNodes`` nodes runs its independent
    /// branches on the tensor threads, with the same result bit for bit. With `smallOperations`,
    /// for graphs whose operations are too small to split over the threads one by one (a
    /// distillation inner step on ten images), it does so from ``parallelMinimumNodesOfSmallOperations``
    /// nodes on: a conv layer's weight gradient then runs beside the chain of input gradients,
    /// where it would have run after it.
    ///
    /// It runs specialised for `Float` and `Double`, also when called from generic code: generic,
    /// the traversal's tables, tuples and arrays of `Tensor<S>` cost a metadata lookup each.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public static func gradients<S>(of output: Tensor<S>, wrt inputs: [Tensor<S>], seed: Tensor<S>? = nil,
                                    createGraph: Bool = false, stopAtInputs: Bool = false, releaseGraph: Bool = false,
                                    smallOperations: Bool = false) throws -> [Tensor<S>] {
        if let s = seed, s.shape != output.shape {
            throw TensorError.shape("gradient seed has shape \(s.shape); the output has shape \(output.shape)")
        }
        guard let root = output.node else { return inputs.map { Tensor<S>.zeros($0.shape) } }
        let wrt = inputs.compactMap(\.node)
        let order = GraphOrder(from: root, wrt: wrt, boundary: stopAtInputs ? wrt : [])
        let needed = NeededNodes.Scope(order)
        let plan = BackwardPlan(order: order)
        let kept = Set(inputs.compactMap { $0.node.flatMap { plan.index(of: $0) } })
        let threads = TensorThreads.count
        let grads = try GradMode.with(enabled: createGraph) { try NeededNodes.with(needed) {
            try plan.run(seed: seed ?? Tensor<S>.ones(output.shape), kept: kept, threads: threads, release: releaseGraph,
                         parallelFrom: smallOperations ? parallelMinimumNodesOfSmallOperations : parallelMinimumNodes)
        } }
        return inputs.map { x in x.node.flatMap { plan.index(of: $0) }.flatMap { grads[$0] } ?? Tensor<S>.zeros(x.shape) }
    }
}

extension Autograd {
    /// Backward passes that need gradients for at least this many nodes run on the tensor threads
    /// (``TensorThreads/count``), each node as soon as its consumers have sent it theirs;
    /// smaller ones run on the calling thread. Both give the same bits.
    public static var parallelMinimumNodes: Int { ParallelBackward<Float>.minimumNodes }

    /// The same for passes over small operations (`smallOperations: true`).
    public static var parallelMinimumNodesOfSmallOperations: Int { ParallelBackward<Float>.minimumNodesOfSmallOperations }

    /// How many nodes the graph behind `tensor` holds: the recorded operations it was computed
    /// by and the leaves they read (0 for a constant). A backward pass from it visits at most these.
    public static func graphSize<S>(of tensor: Tensor<S>) -> Int {
        tensor.node.map { GraphOrder(from: $0, wrt: [], boundary: []).nodes.count } ?? 0
    }

    /// True while operations record graph nodes: outside ``withoutGradients(_:)``, and inside a
    /// backward pass only with `createGraph`. A backward rule that has a fast path for plain
    /// gradients and a differentiable one for gradients of gradients chooses by this.
    public static var isRecording: Bool { GradMode.isEnabled }
}

extension Tensor {
    /// This tensor recorded as computed from `inputs` by an operation outside this library, with
    /// backward rule `backward` (∂L/∂self ↦ ∂L/∂input for each input). Rules that must support
    /// gradients of gradients build their results from differentiable operations whenever
    /// ``Autograd/isRecording`` is true.
    public func recorded(from inputs: [Tensor], backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        Tensor.record(detached, inputs, backward: backward)
    }

    /// The same with the backward rule in independent pieces: each `(slots, rule)` gives the
    /// gradients of the inputs at `slots` (indices into `inputs`, each in at most one piece). A
    /// parallel backward pass runs the pieces side by side; a serial one runs them in order.
    public func recorded(from inputs: [Tensor], pieces: [(slots: [Int], rule: (Tensor) throws -> [Tensor?])]) throws -> Tensor {
        let slots = pieces.flatMap(\.slots)
        if let bad = slots.first(where: { !inputs.indices.contains($0) }) {
            throw TensorError.argument("recorded(from:pieces:): slot \(bad) is not an input; the \(inputs.count) input(s) are slots 0..<\(inputs.count)")
        }
        guard Set(slots).count == slots.count else {
            throw TensorError.argument("recorded(from:pieces:): slots \(pieces.map(\.slots)) name an input twice; each input belongs to at most one piece")
        }
        return Tensor.record(detached, inputs, pieces: pieces)
    }

    /// `result` recorded in the graph as computed from `inputs` by an operation whose backward
    /// rule is `backward` (which must use differentiable operations only). When gradients are off
    /// or no input requires one, `result` is returned as a constant.
    static func record(_ result: Tensor, _ inputs: [Tensor], block: (range: Range<Int>, inputShape: [Int])? = nil,
                       backward: @escaping (Tensor) throws -> [Tensor?]) -> Tensor {
        record(result, inputs) { GradNode(inputs: $0, block: block, backward: backward) }
    }

    /// `result` recorded with a backward rule in independent pieces (see ``BackwardPiece``), each
    /// `(slots, rule)` giving the gradients of the inputs at `slots` (each input in at most one).
    static func record(_ result: Tensor, _ inputs: [Tensor], pieces: [(slots: [Int], rule: (Tensor) throws -> [Tensor?])]) -> Tensor {
        record(result, inputs) { GradNode(inputs: $0, pieces: pieces.map { BackwardPiece(slots: $0.slots, rule: $0.rule) }) }
    }

    /// `result` with the node `makeNode` builds from the inputs' nodes; a constant when gradients
    /// are off or no input requires one.
    @inline(__always)
    private static func record(_ result: Tensor, _ inputs: [Tensor], node makeNode: ([GradNode<Scalar>?]) -> GradNode<Scalar>) -> Tensor {
        // Closures, not key paths: a key path on a generic type is instantiated at run time on every call.
        guard inputs.contains(where: { $0.node != nil }), GradMode.isEnabled else { return result }
        var r = result
        r.node = makeNode(inputs.map { $0.node })
        return r
    }
}
