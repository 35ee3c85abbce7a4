import Foundation

/// OpenQASM 3 export and import.
enum InterchangeBuiltins {
    static func register(_ r: inout Registry) {
        r.add("quantum", Builtin("qasm", "qasm(circuit, file: nil)",
                                 doc: "The circuit as OpenQASM 3 (stdgates.inc; parameters and inputs as `input float[64]` symbols). With `file:` it is also written there and the path printed.",
                                 example: "qasm(circuit(2) { h 0; cx 0, 1 })") { args in
            let c = try args.circuit("circuit")
            let text = try QASMExport.export(c)
            if let f = args.option("file"), !f.isNone {
                guard case .string(let path) = f else { throw args.typeError("file", expected: "a path string", got: f) }
                let url = args.interpreter.resolve(path)
                do { try text.write(to: url, atomically: true, encoding: .utf8) } catch {
                    throw RuntimeError("qasm: cannot write \(url.path): \(error.localizedDescription)")
                }
                args.interpreter.emit("wrote \(url.path)", json: .object([("type", .string("file")), ("path", .string(url.path))]))
            }
            return .string(text)
        })
        r.add("quantum", Builtin("from_qasm", "from_qasm(text)",
                                 doc: "A circuit from gate-level OpenQASM 3 or 2 text; `input float[64]` symbols become trainable parameters (0).",
                                 example: "from_qasm(\"OPENQASM 3.0; qubit[1] q; h q[0];\")") { args in
            let text = try args.string("text")
            return .circuit(try QASMImport.parse(text, identity: &args.interpreter.nextIdentity))
        })
        r.add("quantum", Builtin("load_qasm", "load_qasm(path)", doc: "A circuit from an OpenQASM 3 or 2 file.", example: "load_qasm(\"bell.qasm\")") { args in
            let path = try args.string("path")
            let url = args.interpreter.resolve(path)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { throw RuntimeError("load_qasm: cannot read \(url.path)") }
            do {
                return .circuit(try QASMImport.parse(text, identity: &args.interpreter.nextIdentity))
            } catch let e as RuntimeError {
                throw RuntimeError("\(url.lastPathComponent): \(e.message)")
            }
        })
    }
}
