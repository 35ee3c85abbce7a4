import Foundation
import XCTest
import QDSimulator

/// Values computed by PennyLane 0.45.1 (default.qubit, float64) and stored in
/// Fixtures/pennylane_fixtures.json by Fixtures/make_pennylane_fixtures.py; qd must match to 1e-10.
final class PennyLaneFixtureTests: XCTestCase {
    struct Fixtures: Decodable {
        struct Item: Decodable {
            var expectations: [Double]
            var grad_inputs: [Double]
            var grad_weights: [Double]
            var grad_hermitian: [Double]
        }
        struct Case: Decodable {
            var kind: String
            var qubits: Int
            var layers: Int?
            var features: Int?
            var inputs: AnyInputs?
            var weights: [Double]?
            var hermitian: [Double]?
            var items: [Item]?
            var rotation: String?
            var expectations: [Double]?
            var angles: [Double]?
            var state_re: [Double]?
            var state_im: [Double]?
        }
        var pennylane: String
        var cases: [Case]
    }

    /// Inputs are a matrix for batched cases and a vector otherwise.
    enum AnyInputs: Decodable {
        case matrix([[Double]]), vector([Double])
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let m = try? c.decode([[Double]].self) { self = .matrix(m) } else { self = .vector(try c.decode([Double].self)) }
        }
    }

    func load() throws -> Fixtures {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "pennylane_fixtures", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixtures.self, from: Data(contentsOf: url))
    }

    func testQuantumLeNetLayerMatchesPennyLaneValuesAndGradients() throws {
        let cases = try load().cases.filter { $0.kind == "amplitude_sel_hermitian" }
        XCTAssertEqual(cases.count, 2)
        for fx in cases {
            let n = fx.qubits, features = fx.features!
            var c = try Circuit(qubits: n)
            try c.amplitudeEmbedding(features: 0..<features, wires: Array(0..<n))
            try c.stronglyEntanglingLayers(layers: fx.layers!, wires: Array(0..<n))
            guard case .matrix(let rows)? = fx.inputs else { return XCTFail("inputs") }
            let obs = (0..<n).map { Observable.trainableHermitian(wires: [$0], offset: 8 * $0) }
            for (b, item) in fx.items!.enumerated() {
                let (e, g) = try Simulator(threads: 1).vectorJacobianProduct(
                    c, observables: obs, trainable: fx.weights!, observableParameters: fx.hermitian!,
                    inputs: Inputs(rows: [rows[b]]), upstream: [Double](repeating: 1, count: n))
                XCTAssertEqual([e.values.count, g.trainable.count, g.inputs.count, g.observable.count],
                               [item.expectations.count, item.grad_weights.count, item.grad_inputs.count, item.grad_hermitian.count])
                for (x, y) in zip(e.values, item.expectations) { XCTAssertEqual(x, y, accuracy: 1e-10, "expectation n=\(n)") }
                for (x, y) in zip(g.trainable, item.grad_weights) { XCTAssertEqual(x, y, accuracy: 1e-10, "weight gradient n=\(n)") }
                for (x, y) in zip(g.inputs, item.grad_inputs) { XCTAssertEqual(x, y, accuracy: 1e-10, "input gradient n=\(n)") }
                for (x, y) in zip(g.observable, item.grad_hermitian) { XCTAssertEqual(x, y, accuracy: 1e-10, "Hermitian gradient n=\(n)") }
            }
        }
    }

    func testAngleEmbeddingBasicEntanglerAndPauliSumsMatchPennyLane() throws {
        let cases = try load().cases.filter { $0.kind == "angle_basic_pauli" }
        XCTAssertEqual(cases.count, 2)
        for fx in cases {
            let n = fx.qubits
            let rotation: Gate = fx.rotation == "X" ? .rx : .ry
            var c = try Circuit(qubits: n)
            try c.angleEmbedding(features: 0..<n, wires: Array(0..<n), rotation: rotation)
            try c.basicEntanglerLayers(layers: 2, wires: Array(0..<n), rotation: rotation)
            guard case .vector(let x)? = fx.inputs else { return XCTFail("inputs") }
            let obs: [Observable] = [.pauli([PauliTerm(1, [(0, .z), (1, .x)])]),
                                     .pauli([PauliTerm(0.5, [(n - 1, .y)]), PauliTerm(1, [(1, .z)])])]
            let e = try Simulator(threads: 1).expectations(c, observables: obs, trainable: fx.weights!, inputs: Inputs(rows: [x]))
            for (a, b) in zip(e.values, fx.expectations!) { XCTAssertEqual(a, b, accuracy: 1e-10) }
        }
    }

    func testEveryNamedGateMatchesPennyLaneState() throws {
        let fx = try XCTUnwrap(try load().cases.first { $0.kind == "every_gate_state" })
        let a = fx.angles!.map { Parameter.constant($0) }
        var c = try Circuit(qubits: 4)
        for w in 0..<4 { try c.h(w) }
        try c.x(0); try c.y(1); try c.z(2); try c.s(3); try c.sdg(0); try c.t(1); try c.tdg(2); try c.sx(3)
        try c.rx(a[0], 0); try c.ry(a[1], 1); try c.rz(a[2], 2); try c.phaseShift(a[3], 3)
        try c.rot(a[4], a[5], a[6], 0); try c.u3(a[7], a[8], a[9], 1)
        try c.cnot(0, 1); try c.cy(1, 2); try c.cz(2, 3); try c.swap(3, 0)
        try c.crx(a[10], 0, 2); try c.cry(a[11], 3, 1); try c.crz(a[12], 1, 3); try c.crot(a[13], a[14], a[15], 2, 0)
        try c.toffoli(0, 1, 3)
        let s = try Simulator(threads: 1).state(c)
        for k in 0..<16 {
            XCTAssertEqual(s.amplitude(item: 0, index: k).re, fx.state_re![k], accuracy: 1e-10)
            XCTAssertEqual(s.amplitude(item: 0, index: k).im, fx.state_im![k], accuracy: 1e-10)
        }
    }
}
