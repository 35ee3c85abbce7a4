import QDSimulator

/// The circuit templates: embeddings (`amplitude`, `angle`, `basis`) read a circuit input; layers
/// (`strongly_entangling`, `basic_entangler`) read a trainable parameter block. All follow
/// PennyLane's semantics (see the simulator's `Templates.swift`).
enum Templates {
    /// Names and one-line descriptions, for the registry.
    static let all: [(name: String, signature: String, doc: String, example: String)] = [
        ("amplitude", "amplitude(x, pad: 0) on wires", "Amplitude embedding of input x (L2-normalised, padded with pad to 2^|wires|); must come first.",
         "input x[4]\namplitude(x) on 0..<2"),
        ("angle", "angle(x, rotation: \"X\") on wires", "Angle embedding: RX/RY/RZ(x[j]) on wires[j] (rotation \"X\", \"Y\" or \"Z\").",
         "input x[3]\nangle(x, rotation: \"Y\") on 0..<3"),
        ("basis", "basis(x) on wires", "Basis embedding: input bit x[j] (0 or 1) sets wires[j]; must come first.", "input b[2]\nbasis(b) on 0..<2"),
        ("strongly_entangling", "strongly_entangling(w, ranges: nil) on wires",
         "StronglyEntanglingLayers: w has shape [L, n, 3] (or [n, 3]); Rot on each wire then CNOT(i, i+r mod n).",
         "param w[3, 6, 3] = xavier\nstrongly_entangling(w) on 0..<6"),
        ("basic_entangler", "basic_entangler(w, rotation: \"X\") on wires",
         "BasicEntanglerLayers: w has shape [L, n] (or [n]); one rotation per wire then a CNOT ring.",
         "param w[2, 4] = normal(0, 0.1)\nbasic_entangler(w) on 0..<4"),
    ]

    static func rotation(_ v: Value?, template: String) throws -> Gate {
        guard let v, !v.isNone else { return .rx }
        guard case .string(let s) = v, let g = ["X": Gate.rx, "Y": .ry, "Z": .rz][s.uppercased()] else {
            throw RuntimeError("\(template): rotation must be \"X\", \"Y\" or \"Z\"; got \(v.typeName == "string" ? "\(v)" : v.typeName)")
        }
        return g
    }

    private static func symbol(_ args: [Value], _ template: String, kind: CircuitSymbol.Kind, builder: CircuitBuilder) throws -> CircuitSymbol {
        let what = kind == .input ? "a circuit input (declare it with 'input x[n]')" : "a trainable parameter block (declare it with 'param w[...]')"
        guard args.count == 1, case .symbol(let s) = args[0] else {
            throw RuntimeError("\(template) takes one argument, \(what)\(args.count == 1 ? "; got \(args[0].typeName)" : "")")
        }
        guard s.kind == kind else { throw RuntimeError("\(template) takes \(what); \(s.name) is \(s.kind == .input ? "an input" : "a trainable parameter")") }
        try builder.own(s)
        return s
    }

    static func apply(_ name: String, args: [Value], options: [String: Value], wires: [Int], builder: CircuitBuilder) throws {
        try builder.circuit.checkWires(wires, what: name)
        var options = options
        func take(_ key: String) -> Value? { options.removeValue(forKey: key) }
        switch name {
        case "amplitude":
            let x = try symbol(args, name, kind: .input, builder: builder)
            let pad = take("pad")?.asDouble ?? 0
            try builder.prepare(.amplitude(features: x.offset..<(x.offset + x.count), wires: wires, pad: pad))
        case "angle":
            let x = try symbol(args, name, kind: .input, builder: builder)
            let rot = try rotation(take("rotation"), template: name)
            try builder.mutateCircuit { try $0.angleEmbedding(features: x.offset..<(x.offset + x.count), wires: wires, rotation: rot) }
        case "basis":
            let x = try symbol(args, name, kind: .input, builder: builder)
            try builder.prepare(.basis(features: x.offset..<(x.offset + x.count), wires: wires))
        case "strongly_entangling":
            let w = try symbol(args, name, kind: .trainable, builder: builder)
            let shape = w.shape.count == 2 ? [1] + w.shape : w.shape
            guard shape.count == 3, shape[1] == wires.count, shape[2] == 3 else {
                throw RuntimeError("strongly_entangling on \(wires.count) wires needs weights of shape [L, \(wires.count), 3]; \(w.name) has shape \(w.shape)")
            }
            let ranges = try take("ranges").map { v -> [Int] in
                guard let r = try v.asIntList else { throw RuntimeError("strongly_entangling: ranges must be a list of integers") }
                return r
            }
            try builder.mutateCircuit { try $0.stronglyEntanglingLayers(layers: shape[0], wires: wires, offset: w.offset, ranges: ranges) }
        case "basic_entangler":
            let w = try symbol(args, name, kind: .trainable, builder: builder)
            let shape = w.shape.count == 1 ? [1] + w.shape : w.shape
            guard shape.count == 2, shape[1] == wires.count else {
                throw RuntimeError("basic_entangler on \(wires.count) wires needs weights of shape [L, \(wires.count)]; \(w.name) has shape \(w.shape)")
            }
            let rot = try rotation(take("rotation"), template: name)
            try builder.mutateCircuit { try $0.basicEntanglerLayers(layers: shape[0], wires: wires, offset: w.offset, rotation: rot) }
        default:
            throw RuntimeError("unknown template \(name)")
        }
        if let extra = options.keys.sorted().first { throw RuntimeError("\(name) has no option '\(extra)'") }
    }
}
