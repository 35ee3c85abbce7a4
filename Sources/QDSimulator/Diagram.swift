/// Text diagrams in PennyLane's style, wire 0 on top:
///
///     0: ──H─╭●─┤  <Z0>
///     1: ────╰X─┤
///
/// Each operation takes the first column free on every wire between its lowest and highest wire.
extension Circuit: CustomStringConvertible {
    /// The diagram without measurements.
    public var description: String { diagram() }

    /// The diagram, with each observable's label after the wires it measures.
    public func diagram(observables: [Observable] = []) -> String {
        var columns: [[String?]] = []          // columns[k][wire]
        var nextFree = [Int](repeating: 0, count: qubits)
        func place(_ cells: [Int: String]) {
            let lo = cells.keys.min()!, hi = cells.keys.max()!
            let k = (lo...hi).map { nextFree[$0] }.max()!
            if k == columns.count { columns.append(Array(repeating: nil, count: qubits)) }
            for w in lo...hi {
                let bracket = lo == hi ? "" : (w == lo ? "╭" : (w == hi ? "╰" : (cells[w] == nil ? "│" : "├")))
                columns[k][w] = bracket + (cells[w] ?? "")
                nextFree[w] = k + 1
            }
        }
        if let p = preparation { place(Dictionary(uniqueKeysWithValues: p.wires.map { ($0, p.label) })) }
        for op in operations {
            var cells: [Int: String] = [:]
            for c in op.controls { cells[c] = "●" }
            for t in op.wires { cells[t] = op.label }
            place(cells)
        }
        var measured = [String](repeating: "", count: qubits)
        for obs in observables {
            if let w = obs.wires.first { measured[w] += measured[w].isEmpty ? "  <\(obs)>" : ", <\(obs)>" }
        }
        let prefixWidth = "\(qubits - 1): ".count
        return (0..<qubits).map { w in
            var line = "\(w): ".padding(prefixWidth)
            line += "─"
            for col in columns {
                let width = col.map { ($0 ?? "").count }.max() ?? 0
                let cell = col[w] ?? ""
                line += cell + String(repeating: "─", count: width - cell.count) + "─"
            }
            return line + "┤" + measured[w]
        }.joined(separator: "\n")
    }
}

private extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
