import Foundation
import QDLearning
import QDTensor

/// A distilled dataset loaded from a file (or exported from a distiller), ready to train on.
final class DistilledObject: HostObject {
    let data: DistilledData

    init(_ data: DistilledData) { self.data = data }

    var typeName: String { "distilled data" }

    func display() -> String {
        "distilled data for \(data.model): \(data.labels.count) images \(data.imageShape.map(String.init).joined(separator: "×")), \(data.steps) step\(data.steps == 1 ? "" : "s") replayed for \(data.stepSizes.count) inner steps\(data.targets == nil ? "" : ", learned soft labels")\(data.rateLayers == nil ? "" : ", step sizes per layer"), seed \(data.seed)"
    }

    func json() -> JSONValue {
        .object([("type", .string("distilled")), ("model", .string(data.model)), ("count", .number(Double(data.labels.count))),
                 ("step_sizes", .array(data.stepSizes.map { .number(Double($0)) })), ("seed", .number(Double(data.seed)))])
    }

    var memberNames: [String] { ["images", "labels", "soft_labels", "rates", "steps", "count", "model"] }

    func member(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "images": return .tensor(NDArray(shape: [data.labels.count] + data.imageShape, data: data.images.map(Double.init)))
        case "labels": return .list(data.labels.map(Value.int))
        case "soft_labels":
            guard let t = data.targets else { return Value.none }
            return .tensor(NDArray(shape: [data.labels.count, t.count / max(data.labels.count, 1)], data: t.map(Double.init)))
        case "rates": return .tensor(rateArray(data.stepSizes, groups: data.rateGroups))
        case "steps": return .int(data.steps)
        case "count": return .int(data.labels.count)
        case "model": return .string(data.model)
        default: return nil
        }
    }
}

/// Learned step sizes as a value: [T], or [T, layers] when they are per layer.
func rateArray(_ rates: [Float], groups: Int) -> NDArray {
    let values = rates.map(Double.init)
    return groups > 1 ? NDArray(shape: [values.count / groups, groups], data: values) : NDArray(values)
}

/// Saving and loading models and distilled data.
enum PersistenceBuiltins {
    static func register(_ r: inout Registry) {
        r.add("learning", Builtin("save", "save(value, path)",
                                  doc: "Writes a model (its kind, options and weights), a distiller (a checkpoint, as d.save) or distilled data to a JSON file; returns the path.",
                                  example: "save(trained, \"lenet.json\")") { args in
            let v = try args.required("value")
            let path = try args.string("path")
            let target = args.interpreter.resolve(path)
            guard case .object(let o) = v else { throw args.typeError("value", expected: "a model, distiller or distilled data", got: v) }
            do {
                switch o {
                case let m as ModelObject:
                    try SavedJSON.write(SavedModel(spec: m.spec, parameters: m.parameters.values), to: target)
                case let d as DistillerObject:
                    try d.session.save(to: target, modelName: d.modelName)
                case let d as DistilledObject:
                    try d.data.save(to: target)
                default:
                    throw args.typeError("value", expected: "a model, distiller or distilled data", got: v)
                }
            } catch let e as RuntimeError { throw e } catch {
                throw RuntimeError("save: cannot write \(target.path): \(error.localizedDescription)")
            }
            return .string(target.path)
        })
        r.add("learning", Builtin("load_model", "load_model(path)", doc: "A model saved with save(model, path).", example: "let m = load_model(\"lenet.json\")") { args in
            let target = args.interpreter.resolve(try args.string("path"))
            let saved = try SavedJSON.read(SavedModel.self, from: target, what: "a qd model file")
            guard saved.format == "qd-model-1" else { throw DataError(file: target.path, "unknown model format \(saved.format) (this qd reads qd-model-1)") }
            let model = try saved.spec.make()
            guard saved.parameters.count == model.layout.count, saved.parameters.allSatisfy(\.isFinite) else {
                throw RuntimeError("load_model: \(target.path) holds \(saved.parameters.count) weights; a \(saved.spec.name) has \(model.layout.count) (or some are not finite)")
            }
            return .object(ModelObject(model: model, spec: saved.spec, parameters: Tensor(vector: saved.parameters)))
        })
        r.add("learning", Builtin("load_distilled", "load_distilled(path)", doc: "Distilled data written by d.export(path) or save(distilled, path); train on it with train(model, data).",
                                  example: "let dd = load_distilled(\"mnist10.json\")") { args in
            .object(DistilledObject(try DistilledData.load(from: args.interpreter.resolve(try args.string("path")))))
        })
    }
}
