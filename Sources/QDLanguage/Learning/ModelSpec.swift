import Foundation
import QDLearning
import QDTensor

/// What a model is, so a saved model can be rebuilt: the kind, the input and the quantum LeNet's options.
struct ModelSpec: Codable, Equatable {
    enum Kind: String, Codable { case lenet, qlenet, alexcifarnet }
    var kind: Kind
    var input = "mnist"
    var qubits = 6, layers = 3
    var hermitian = "trainable"
    var readoutWires = 1
    var residual = true
    /// nil: 1 − α (absent from models saved before the option existed).
    var residualWeight: String?
    private typealias Weight = QuantumLeNet.Options.ResidualWeight
    var trainAngles = true
    var embedding = "amplitude"

    /// The model this spec describes.
    func make() throws -> any Model {
        let input: LeNet.Input = self.input == "cifar10" ? .cifar10 : .mnist
        switch kind {
        case .lenet: return LeNet(input: input)
        case .alexcifarnet: return AlexCifarNet()
        case .qlenet:
            var o = QuantumLeNet.Options()
            o.qubits = qubits
            o.layers = layers
            guard let h = QuantumLeNet.Options.Hermitian(rawValue: hermitian), let e = QuantumLayer.Embedding(rawValue: embedding),
                  let w = Weight(rawValue: residualWeight ?? Weight.oneMinusAlpha.rawValue) else {
                throw RuntimeError("unknown quantum LeNet options hermitian \"\(hermitian)\" / embedding \"\(embedding)\" / residual_weight \"\(residualWeight ?? "")\"")
            }
            o.hermitian = h
            o.readoutWires = readoutWires
            o.residual = residual
            o.residualWeight = w
            o.trainAngles = trainAngles
            o.embedding = e
            return try QuantumLeNet(input: input, options: o)
        }
    }

    /// A readable name: the kind and any non-default options.
    var name: String {
        var variant: [String] = []
        if input == "cifar10" && kind != .alexcifarnet { variant.append("cifar10 input") }
        if kind == .qlenet {
            if qubits != 6 || layers != 3 { variant.append("\(qubits) qubits, \(layers) layers") }
            if hermitian != "trainable" { variant.append("\(hermitian) readout") }
            if readoutWires != 1 { variant.append("Hermitians on \(readoutWires) wires") }
            if !residual { variant.append("no residual") }
            if residual, let w = residualWeight, w != Weight.oneMinusAlpha.rawValue { variant.append("residual weight \(w == Weight.half.rawValue ? "0.5" : w)") }
            if !trainAngles { variant.append("frozen angles") }
            if embedding != "amplitude" { variant.append("\(embedding) embedding") }
        }
        return variant.isEmpty ? kind.rawValue : "\(kind.rawValue) (\(variant.joined(separator: ", ")))"
    }
}

/// A saved model: its spec and weights.
struct SavedModel: Codable {
    var format = "qd-model-1"
    var spec: ModelSpec
    var parameters: [Float]
}
