/// The nodes of a graph reachable from its output, each after all of its inputs, with each node's
/// inputs given as positions in that order and the nodes a backward pass needs marked: what a
/// pass plans from. Built with one lookup in ``NodePositions`` per node and per edge, the rest on
/// arrays: the meta-gradient's graph has about 4,300 nodes, and planning it with a set lookup per
/// step of each stage took 3.5 to 5.5 ms before its first rule could run.
struct GraphOrder<S: TensorScalar> {
    /// The nodes, inputs first (the output last).
    let nodes: [GradNode<S>]
    /// Each node's position in ``nodes``.
    let position: NodePositions
    /// For each node, the position of each input (nil where the input is absent, and for every
    /// input of a boundary node, whose inputs the traversal does not enter).
    let inputPositions: [[Int?]]
    /// Whether each node is a boundary of the pass: it receives a gradient but sends none.
    let isBoundary: [Bool]
    /// Whether each node's gradient is needed: a `wrt` node itself, or a node (not a boundary) with
    /// a needed input.
    let needed: [Bool]

    /// The nodes reachable from `root` without entering the inputs of `boundary` nodes, and which
    /// of them lead to a node of `wrt`.
    init(from root: GradNode<S>, wrt: [GradNode<S>], boundary: [GradNode<S>]) {
        var boundaryIDs = NodePositions(capacity: boundary.count)
        for node in boundary { boundaryIDs[ObjectIdentifier(node)] = 0 }
        var nodes: [GradNode<S>] = [], inputPositions: [[Int?]] = [], isBoundary: [Bool] = []
        // -1 while a node's inputs are being visited, its position once it is placed
        var position = NodePositions(capacity: 64)
        var stack: [(GradNode<S>, Bool)] = [(root, false)]
        while let (node, expanded) = stack.popLast() {
            let id = ObjectIdentifier(node)
            if expanded {
                position[id] = nodes.count
                let stops = boundaryIDs.count > 0 && boundaryIDs[id] != nil
                // a node is placed after all of its inputs (the graph has no cycles), so they have positions
                inputPositions.append(stops ? node.inputs.map { _ in nil } : node.inputs.map { $0.map { position[ObjectIdentifier($0)]! } })
                isBoundary.append(stops)
                nodes.append(node)
                continue
            }
            guard position[id] == nil else { continue }
            position[id] = -1
            stack.append((node, true))
            guard boundaryIDs.count == 0 || boundaryIDs[id] == nil else { continue }
            for input in node.inputs { if let i = input, position[ObjectIdentifier(i)] == nil { stack.append((i, false)) } }
        }
        var needed = [Bool](repeating: false, count: nodes.count)
        for node in wrt { if let k = position[ObjectIdentifier(node)] { needed[k] = true } }
        for k in nodes.indices where !needed[k] && !isBoundary[k] {
            needed[k] = inputPositions[k].contains { $0.map { needed[$0] } ?? false }
        }
        self.nodes = nodes
        self.position = position
        self.inputPositions = inputPositions
        self.isBoundary = isBoundary
        self.needed = needed
    }
}
