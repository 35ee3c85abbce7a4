import QDSimulator

/// What a circuit needs to run, taken from a builtin's arguments: the circuit, its trainable
/// values (overridden by `params:` or by block name) and its inputs (by input name; a 2-D value
/// [B, features] runs a batch of B).
struct RunSetup {
    let circuit: CircuitValue
    let trainable: [Double]
    let inputs: Inputs
    /// Whether an input was given as a batch (results keep a leading batch dimension).
    let batched: Bool

    init(_ args: inout Arguments) throws {
        circuit = try args.circuit("circuit")
        var values = circuit.values
        let f = args.function
        if let p = args.option("params") {
            guard let a = try p.asArray, a.count == values.count else {
                throw RuntimeError("\(f): params must hold the circuit's \(values.count) trainable values")
            }
            values = a.data
        }
        for block in circuit.parameters {
            guard let v = args.option(block.name) else { continue }
            guard let a = try v.asArray, a.count == block.count else {
                throw RuntimeError("\(f): \(block.name) must hold \(block.count) values (shape \(block.shape))")
            }
            values.replaceSubrange(block.slots, with: a.data)
        }
        guard values.allSatisfy(\.isFinite) else { throw RuntimeError("\(f): the circuit parameters contain NaN or infinity") }
        trainable = values
        var batch: Int?
        var isBatched = false
        var rows: [(ParameterBlock, NDArray)] = []
        for block in circuit.inputs {
            guard let v = args.option(block.name) else {
                throw RuntimeError("\(f): the circuit input \(block.name) (\(block.count) features) needs a value: \(f)(c, \(block.name): ...)")
            }
            guard let a = try v.asArray else { throw RuntimeError("\(f): input \(block.name) must be numbers; got \(v.typeName)") }
            let b: Int
            if a.count == block.count && a.shape.count <= 1 { b = 1 } else if a.shape.count == 2 && a.shape[1] == block.count {
                b = a.shape[0]
                isBatched = true
            } else {
                throw RuntimeError("\(f): input \(block.name) needs \(block.count) features, or a batch of shape [B, \(block.count)]; got shape \(a.shape)")
            }
            if let existing = batch, existing != b { throw RuntimeError("\(f): inputs have different batch sizes (\(existing) and \(b))") }
            batch = b
            rows.append((block, a))
        }
        let width = circuit.circuit.inputCount
        let b = batch ?? 1
        if width == 0 {
            inputs = .empty(batch: 1)
        } else {
            var x = [Double](repeating: 0, count: b * width)
            for (block, a) in rows {
                for item in 0..<b {
                    for j in 0..<block.count { x[item * width + block.offset + j] = a.data[item * block.count + j] }
                }
            }
            inputs = try Inputs(batch: b, features: width, values: x)
        }
        batched = isBatched
    }
}
