import Foundation

/// One backward pass laid out for running: the nodes it needs gradients for, in the order a
/// serial pass visits them (the output first, every node after all of its consumers), and who
/// sends gradients to whom.
///
/// A node's gradient is the sum of what its consumers send it, taken in plan order of the
/// senders: ((g₁ + g₂) + g₃)… with g₁ from the consumer visited first. Both runners sum in that
/// order, so the serial and the parallel pass compute the same bits.
struct BackwardPlan<S: TensorScalar> {
    /// The needed nodes, the output first.
    let nodes: [GradNode<S>]
    /// For each node, the plan index of each of its inputs (nil where the input is absent or not needed).
    let inputIndices: [[Int?]]
    /// Whether the node runs its backward rule: it has one (or had one, released) and is not a
    /// boundary of the pass.
    let propagates: [Bool]
    /// How many sends each node waits for: one per edge from a consumer that propagates.
    let sendsAwaited: [Int]
    /// Each node's position in the ``GraphOrder`` the plan was made from, and each position's plan
    /// index (nil where the node is not needed).
    private let positions: NodePositions, planIndex: [Int?]

    /// The plan for the needed nodes of `order`; its boundary nodes receive gradients but send none.
    init(order: GraphOrder<S>) {
        let chosen = order.nodes.indices.reversed().filter { order.needed[$0] }
        var planIndex = [Int?](repeating: nil, count: order.nodes.count)
        for (k, p) in chosen.enumerated() { planIndex[p] = k }
        let nodes = chosen.map { order.nodes[$0] }
        let propagates = chosen.map { p in (order.nodes[p].backward != nil || order.nodes[p].released) && !order.isBoundary[p] }
        let inputIndices = chosen.map { p in order.inputPositions[p].map { $0.flatMap { planIndex[$0] } } }
        var awaited = [Int](repeating: 0, count: nodes.count)
        for k in nodes.indices where propagates[k] {
            for case let i? in inputIndices[k] { awaited[i] += 1 }
        }
        self.nodes = nodes
        self.inputIndices = inputIndices
        self.propagates = propagates
        self.sendsAwaited = awaited
        self.positions = order.position
        self.planIndex = planIndex
    }

    /// `node`'s plan index, or nil when the pass does not need it.
    func index(of node: GradNode<S>) -> Int? {
        positions[ObjectIdentifier(node)].flatMap { planIndex[$0] }
    }

    /// One empty inbox per node, the output's holding `seed`: where a pass starts.
    func inboxes(seed: Tensor<S>) -> [GradientInbox<S>] {
        var inboxes = [GradientInbox<S>](repeating: GradientInbox(), count: nodes.count)
        inboxes[0] = GradientInbox(seed: seed)
        return inboxes
    }

    /// For each node, the longest chain of sends from it to the end of the pass, in nodes: the
    /// critical-path priority of a parallel pass.
    func depths() -> [Int] {
        var depth = [Int](repeating: 0, count: nodes.count)
        for k in nodes.indices.reversed() where propagates[k] {
            var deepest = 0
            for case let i? in inputIndices[k] { deepest = max(deepest, depth[i]) }
            depth[k] = 1 + deepest
        }
        return depth
    }

    /// What node `k` sends each needed input, given its gradient `g` (nil: it received none): the
    /// input's part of its backward rule, the block of a view, or nothing. One send per edge that
    /// ``sendsAwaited`` counts, in input order.
    func sends(from k: Int, gradient g: Tensor<S>?) throws -> [(to: Int, send: GradientSend<S>)] {
        guard propagates[k] else { return [] }
        let node = nodes[k]
        guard let g else { return inputIndices[k].compactMap { $0.map { ($0, .nothing) } } }
        if let block = node.block {
            guard let i = inputIndices[k][0] else { return [] }
            return [(i, .block(block.range, shape: block.inputShape, try g.reshaped([block.range.count])))]
        }
        guard let rule = node.backward else {
            throw TensorError.argument("backward pass: this graph was released by an earlier pass (releaseGraph: true), which freed the tensors its rules saved; run that pass with releaseGraph: false to differentiate through the graph again")
        }
        return sends(from: k, results: try rule(g))
    }

    /// What node `k` sends each needed input, given its backward rule's `results` (one gradient or
    /// nil per input).
    func sends(from k: Int, results: [Tensor<S>?]) -> [(to: Int, send: GradientSend<S>)] {
        inputIndices[k].enumerated().compactMap { slot, target in
            target.map { ($0, slot < results.count ? results[slot].map { .gradient($0) } ?? .nothing : .nothing) }
        }
    }

    /// The pieces of node `k`'s rule that a parallel pass may run side by side, or nil when it
    /// runs whole (a rule in one piece, a view's block, or a node that does not propagate).
    func pieces(of k: Int) -> [BackwardPiece<S>]? {
        propagates[k] && nodes[k].block == nil && nodes[k].pieces.count > 1 ? nodes[k].pieces : nil
    }
}

/// What a node sends one of its inputs in a backward pass.
enum GradientSend<S: TensorScalar> {
    /// A gradient to add to the input's.
    case gradient(Tensor<S>)
    /// The gradient of a contiguous block view of the input (an input of shape `shape`).
    case block(Range<Int>, shape: [Int], Tensor<S>)
    /// Nothing: the sender had no gradient, or its rule gives this input none.
    case nothing
}

/// The gradients a node has received so far, each tagged with the plan index of its sender.
struct GradientInbox<S: TensorScalar> {
    private var parts: [(from: Int, gradient: Tensor<S>)] = []
    private var blocks: [(from: Int, range: Range<Int>, gradient: Tensor<S>)] = []
    private var blockShape: [Int] = []

    /// An inbox holding `seed` (the output's gradient), or an empty one.
    init(seed: Tensor<S>? = nil) { if let seed { parts = [(-1, seed)] } }

    /// Files `send` from node `sender`, keeping the sends in sender order (a serial pass delivers
    /// them in that order; a parallel one in any).
    mutating func receive(_ send: GradientSend<S>, from sender: Int) {
        switch send {
        case .gradient(let g):
            parts.insert((sender, g), at: parts.lastIndex { $0.from <= sender }.map { $0 + 1 } ?? 0)
        case .block(let range, let shape, let g):
            blocks.insert((sender, range, g), at: blocks.lastIndex { $0.from <= sender }.map { $0 + 1 } ?? 0)
            blockShape = shape
        case .nothing:
            break
        }
    }

    /// The node's gradient: the sum of its parts in sender order, plus its blocks assembled into
    /// one tensor (added onto that sum in the same pass); nil when it received nothing.
    func total() throws -> Tensor<S>? {
        var sum = parts.first?.gradient
        for part in parts.dropFirst() { sum = try sum! + part.gradient }
        guard !blocks.isEmpty else { return sum }
        return try Tensor<S>.assembled(blocks.map { ($0.range, $0.gradient) }, shape: blockShape, onto: sum)
    }
}
