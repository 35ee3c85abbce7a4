/// A single-qubit Pauli operator.
public enum Pauli: String, Equatable, Sendable, CaseIterable {
    case x = "X", y = "Y", z = "Z"
}

/// coefficient · σ_{w₁} ⊗ σ_{w₂} ⊗ …; an empty product is the identity.
public struct PauliTerm: Equatable, Sendable, CustomStringConvertible {
    /// The real weight of the term.
    public var coefficient: Double
    /// (wire, Pauli) factors on distinct wires.
    public var factors: [(wire: Int, pauli: Pauli)]

    /// A term; wires are validated when measured.
    public init(_ coefficient: Double = 1, _ factors: [(wire: Int, pauli: Pauli)]) {
        self.coefficient = coefficient
        self.factors = factors
    }

    public static func == (a: PauliTerm, b: PauliTerm) -> Bool {
        a.coefficient == b.coefficient && a.factors.map(\.wire) == b.factors.map(\.wire) && a.factors.map(\.pauli) == b.factors.map(\.pauli)
    }

    public var description: String {
        let ops = factors.isEmpty ? "I" : factors.map { "\($0.pauli.rawValue)\($0.wire)" }.joined(separator: " @ ")
        return coefficient == 1 ? ops : "\(coefficient) * \(ops)"
    }

    func pattern(qubits: Int) -> PauliPattern {
        var flip = 0, sign = 0, ys = 0
        for f in factors {
            let bit = 1 << (qubits - 1 - f.wire)
            switch f.pauli {
            case .x: flip |= bit
            case .y: flip |= bit; sign |= bit; ys += 1
            case .z: sign |= bit
            }
        }
        return PauliPattern(flipMask: flip, signMask: sign, yCount: ys)
    }
}

/// A measured quantity: its expectation ⟨ψ|O|ψ⟩ is one output per batch item.
public enum Observable: Equatable, Sendable, CustomStringConvertible {
    /// A weighted sum of Pauli strings, Σ_k c_k P_k.
    case pauli([PauliTerm])
    /// A fixed Hermitian matrix (2^k × 2^k) on k wires, first wire most significant.
    case hermitian(ComplexMatrix, wires: [Int])
    /// A trainable Hermitian H = (A + A†)/2 on k wires, d = 2^k, where
    /// A[a,b] = p[offset + 2(a·d + b)] + i·p[offset + 2(a·d + b) + 1] reads 2d² observable parameters.
    case trainableHermitian(wires: [Int], offset: Int)

    /// ⟨Z_w⟩.
    public static func z(_ w: Int) -> Observable { .pauli([PauliTerm(1, [(w, .z)])]) }

    /// The wires it acts on.
    public var wires: [Int] {
        switch self {
        case .pauli(let terms): return Array(Set(terms.flatMap { $0.factors.map(\.wire) })).sorted()
        case .hermitian(_, let w), .trainableHermitian(let w, _): return w
        }
    }

    /// Number of observable parameters read (one past the largest index), 0 for fixed observables.
    public var parameterEnd: Int {
        if case .trainableHermitian(let w, let o) = self { return o + 2 * (1 << (2 * w.count)) }
        return 0
    }

    /// The Hermitian matrix on `wires` for the given observable parameters (Pauli sums excluded).
    public func matrix(_ p: [Double]) -> ComplexMatrix? {
        switch self {
        case .pauli: return nil
        case .hermitian(let m, _): return m
        case .trainableHermitian(let w, let o):
            let d = 1 << w.count
            var a = ComplexMatrix(dimension: d, entries: Array(repeating: .zero, count: d * d))
            for r in 0..<d { for c in 0..<d { a[r, c] = Complex(p[o + 2 * (r * d + c)], p[o + 2 * (r * d + c) + 1]) } }
            return Complex(0.5) * (a + a.adjoint)
        }
    }

    /// Checks wires against `qubits`, Hermiticity, and the parameter count.
    func validate(qubits: Int, parameterCount: Int) throws {
        func check(_ ws: [Int]) throws {
            for w in ws where !(0..<qubits).contains(w) {
                throw SimulatorError.invalidWire("observable \(self): wire \(w) is out of range; valid wires are 0..<\(qubits)")
            }
            if Set(ws).count != ws.count { throw SimulatorError.invalidWire("observable \(self): wires \(ws) repeat a wire") }
        }
        switch self {
        case .pauli(let terms):
            for t in terms {
                try check(t.factors.map(\.wire))
                guard t.coefficient.isFinite else { throw SimulatorError.invalidInput("Pauli coefficient \(t.coefficient) is not finite") }
            }
        case .hermitian(let m, let w):
            try check(w)
            guard m.qubitCount == w.count else {
                throw SimulatorError.invalidMatrix("a Hermitian on \(w.count) wire(s) must be \(1 << w.count)×\(1 << w.count); got \(m.dimension)×\(m.dimension)")
            }
            guard m.isFinite, m.isHermitian(tolerance: 1e-10) else {
                throw SimulatorError.invalidMatrix("matrix is not Hermitian: max |H − H†| = \(m.maxDistance(to: m.adjoint)), tolerance 1e-10")
            }
        case .trainableHermitian(let w, let o):
            try check(w)
            guard o >= 0, parameterEnd <= parameterCount else {
                throw SimulatorError.parameterCount("trainable Hermitian on \(w.count) wire(s) reads observable parameters \(o)..<\(parameterEnd); \(parameterCount) given")
            }
        }
    }

    public var description: String {
        switch self {
        case .pauli(let terms): return terms.map(\.description).joined(separator: " + ")
        case .hermitian(_, let w): return "Hermitian(wires: \(w))"
        case .trainableHermitian(let w, let o): return "TrainableHermitian(wires: \(w), offset: \(o))"
        }
    }
}
