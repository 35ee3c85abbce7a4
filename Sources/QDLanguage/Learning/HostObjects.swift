import Foundation
import QDLearning
import QDTensor

/// A dataset as a language value.
final class DatasetObject: HostObject {
    let dataset: Dataset
    let kind: DatasetKind

    init(_ dataset: Dataset, kind: DatasetKind) {
        self.dataset = dataset
        self.kind = kind
    }

    var typeName: String { "dataset" }

    func display() -> String {
        let counts = dataset.classCounts.map(String.init).joined(separator: " ")
        return "\(dataset.name): \(dataset.count) images \(dataset.imageShape.map(String.init).joined(separator: "×")), \(dataset.classes) classes (per class: \(counts))"
    }

    func json() -> JSONValue {
        .object([("type", .string("dataset")), ("name", .string(dataset.name)), ("count", .number(Double(dataset.count))),
                 ("shape", .array(dataset.imageShape.map { .number(Double($0)) })), ("class_counts", .array(dataset.classCounts.map { .number(Double($0)) }))])
    }

    var memberNames: [String] { ["count", "classes", "name", "labels", "images", "shape", "class_counts", "take", "per_class"] }

    func member(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "count": return .int(dataset.count)
        case "classes": return .int(dataset.classes)
        case "name": return .string(dataset.name)
        case "labels": return .list(dataset.labels.map(Value.int))
        case "shape": return .list(dataset.imageShape.map(Value.int))
        case "class_counts": return .list(dataset.classCounts.map(Value.int))
        case "images": return .tensor(NDArray(shape: dataset.images.shape, data: dataset.images.values.map(Double.init)))
        case "take":
            return .function(.builtin(Builtin("take", "dataset.take(n)", doc: "The first n images.", example: "d.take(100)") { args in
                let n = try args.int("n", in: 1...self.dataset.count)
                return .object(DatasetObject(try self.dataset.prefix(n), kind: self.kind))
            }))
        case "per_class":
            return .function(.builtin(Builtin("per_class", "dataset.per_class(n, seed: nil)", doc: "A class-balanced random subset with n images of each class.",
                                              example: "d.per_class(10)") { args in
                let n = try args.int("n", in: 1...1_000_000)
                let seed = try args.seed()
                return .object(DatasetObject(try self.dataset.classBalanced(perClass: n, seed: seed), kind: self.kind))
            }))
        default: return nil
        }
    }
}

/// A network and its current weights.
final class ModelObject: HostObject {
    let model: any Model
    let spec: ModelSpec
    let parameters: Tensor<Float>

    init(model: any Model, spec: ModelSpec, parameters: Tensor<Float>) {
        self.model = model
        self.spec = spec
        self.parameters = parameters
    }

    /// Its readable name, with the variant.
    var name: String { spec.name }

    var typeName: String { "model" }

    func display() -> String {
        var lines = ["\(name): \(model.layout.count) parameters, input \(model.inputShape.map(String.init).joined(separator: "×")), \(model.classes) classes"]
        for e in model.layout.entries {
            lines.append("  \(e.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(e.shape.map(String.init).joined(separator: "×").padding(toLength: 12, withPad: " ", startingAt: 0)) \(e.count)")
        }
        return lines.joined(separator: "\n")
    }

    func json() -> JSONValue {
        .object([("type", .string("model")), ("name", .string(name)), ("parameters", .number(Double(model.layout.count))),
                 ("layers", .array(model.layout.entries.map { .object([("name", .string($0.name)), ("shape", .array($0.shape.map { .number(Double($0)) }))]) }))])
    }

    /// Layer blocks are members with '.' written '_' (`m.fc1_weight`).
    var memberNames: [String] { ["name", "parameter_count", "params", "input_shape"] + model.layout.entries.map { $0.name.replacingOccurrences(of: ".", with: "_") } }

    func member(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "name": return .string(self.name)
        case "parameter_count": return .int(model.layout.count)
        case "input_shape": return .list(model.inputShape.map(Value.int))
        case "params": return .tensor(NDArray(parameters.values.map(Double.init)))
        default:
            guard let e = model.layout.entries.first(where: { $0.name.replacingOccurrences(of: ".", with: "_") == name }) else { return nil }
            return .tensor(NDArray(shape: e.shape, data: parameters.values[e.offset..<(e.offset + e.count)].map(Double.init)))
        }
    }
}
