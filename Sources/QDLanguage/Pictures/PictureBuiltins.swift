import Foundation
import QDLearning

/// `images`, `plot`, `histogram` and `draw(..., file:)`: PNG pictures whose paths are printed.
enum PictureBuiltins {
    static func register(_ r: inout Registry) {
        r.add("picture", Builtin("images", "images(x, file: \"images.png\", per_row: 10)",
                                 doc: "A PNG grid of images: a dataset (up to per_row images of each class), a distiller or distilled data (rows are classes, columns steps, with the learned step sizes), or a tensor [N, C, H, W].",
                                 example: "images(mnist(), file: \"digits.png\")") { args in
            let v = try args.required("x")
            let file = try fileOption(&args, default: "images.png")
            let perRow = try args.int("per_row", default: 10, in: 1...100)
            let canvas: Canvas
            switch v {
            case .object(let o as DatasetObject):
                let d = o.dataset
                var picks: [Int] = []
                for k in 0..<d.classes { picks += d.labels.indices.filter { d.labels[$0] == k }.prefix(perRow) }
                let x = try d.batch(picks).images
                canvas = try Charts.imageGrid(NDArray(shape: x.shape, data: x.values.map(Double.init)), columns: perRow,
                                              rowLabels: (0..<d.classes).map(String.init), title: d.name)
            case .object(let o as DistillerObject):
                canvas = try distilledGrid(o.session.distilledData(modelName: o.modelName))
            case .object(let o as DistilledObject):
                canvas = try distilledGrid(o.data)
            default:
                guard let t = try v.asArray else { throw args.typeError("x", expected: "a dataset, distiller, distilled data or image tensor", got: v) }
                canvas = try Charts.imageGrid(t, columns: perRow, title: "\(t.shape.first ?? 0) images")
            }
            return try write(canvas, file, args.interpreter)
        })
        r.add("picture", Builtin("plot", "plot(y, file: \"plot.png\", title: \"\", markers: [])",
                                 doc: "A PNG line chart of a list or tensor (or several, as a list of lists), with red vertical lines at the x values in `markers`; for a distiller, its outer loss per iteration (marked where the collapse guard stepped in; rare spikes above 1.5× the 99.5th percentile are drawn at the top) and the test accuracies it was evaluated at.",
                                 example: "plot(d, file: \"curves.png\")") { args in
            let v = try args.required("y")
            let file = try fileOption(&args, default: "plot.png")
            let title = try titleOption(&args, default: "values")
            let markers = try markerOption(&args)
            let colors: [Canvas.Color] = [.blue, .orange, .init(r: 44, g: 160, b: 44), .init(r: 214, g: 39, b: 40)]
            let canvas: Canvas
            if case .object(let o as DistillerObject) = v {
                let losses = o.session.losses
                let clip = Charts.spikeClip(losses)
                let clipNote = clip.isFinite ? " (above \(formatNumber(Double(String(format: "%.3g", clip)) ?? clip)) at the top)" : ""
                var charts = [try Charts.lineChart([("outer loss", losses.indices.map { Double($0 + 1) }, losses, .blue)],
                                                   title: "\(o.modelName): outer loss\(clipNote)",
                                                   markers: markers + o.session.recoveries.map(Double.init), markerName: "collapse guard",
                                                   clipAbove: clip)]
                let batch = o.session.batchAccuracies
                var accuracySeries: [(name: String, x: [Double], y: [Double], color: Canvas.Color)] = []
                if !batch.isEmpty { accuracySeries.append(("real-batch accuracy", batch.indices.map { Double($0 + 1) }, batch, .blue)) }
                if !o.accuracies.isEmpty { accuracySeries.append(("test accuracy", o.accuracies.map { Double($0.0) }, o.accuracies.map(\.1), .orange)) }
                if !accuracySeries.isEmpty {
                    charts.append(try Charts.lineChart(accuracySeries, title: "accuracy of networks trained on the distilled images"))
                }
                canvas = try Canvas.stacked(charts)
            } else if case .list(let items) = v, try items.allSatisfy({ try $0.asArray?.shape.count == 1 }),
                      items.count > 1, case .list = items[0] {
                canvas = try Charts.lineChart(items.enumerated().map { k, item in
                    let y = try item.asArray!.data
                    return ("series \(k + 1)", y.indices.map { Double($0 + 1) }, y, colors[k % colors.count])
                }, title: title, markers: markers)
            } else {
                guard let a = try v.asArray, a.shape.count == 1 else { throw args.typeError("y", expected: "a list or 1-D tensor of numbers, a list of them, or a distiller", got: v) }
                canvas = try Charts.lineChart([(title, a.data.indices.map { Double($0 + 1) }, a.data, .blue)], title: title, markers: markers)
            }
            return try write(canvas, file, args.interpreter)
        })
        r.add("picture", Builtin("histogram", "histogram(probs, file: \"histogram.png\", title: \"probabilities\")",
                                 doc: "A PNG bar chart of basis-state probabilities (2^n values, labelled |00…⟩ with wire 0 first) or of any values.",
                                 example: "histogram(probs(circuit(2) { h 0; cx 0, 1 }))") { args in
            let v = try args.required("probs")
            let file = try fileOption(&args, default: "histogram.png")
            let title = try titleOption(&args, default: "probabilities")
            guard let a = try v.asArray, a.shape.count == 1 else { throw args.typeError("probs", expected: "a list or 1-D tensor", got: v) }
            var labels: [String] = (0..<a.count).map(String.init)
            if a.count > 1 && a.count.nonzeroBitCount == 1 {
                let n = a.count.trailingZeroBitCount
                labels = (0..<a.count).map { i -> String in
                    String((0..<n).map { (i >> (n - 1 - $0)) & 1 == 1 ? Character("1") : Character("0") })
                }
            }
            return try write(try Charts.barChart(a.data, labels: labels, title: title), file, args.interpreter)
        })
    }

    /// Rows are classes, columns are (step, image) pairs; the title lists the learned step sizes
    /// (per-layer ones as each inner step's smallest–largest).
    static func distilledGrid(_ d: DistilledData) throws -> Canvas {
        // the distiller's layout: each step holds its classes in order, the same count of each
        let perStep = d.perStep, top = d.labels.max() ?? 0
        let classes = top < perStep ? top + 1 : perStep + 1, perClass = perStep / classes
        guard perStep % classes == 0, d.labels.indices.allSatisfy({ d.labels[$0] == $0 % perStep / perClass }) else {
            throw RuntimeError("images: the distilled labels are not the distiller's layout (each step's images by class, the same count of each); draw its images member instead, images(x.images)")
        }
        let per = d.imageShape.reduce(1, *)
        var values: [Double] = []
        for k in 0..<classes {
            for s in 0..<d.steps {
                for j in 0..<perClass {
                    let index = s * perStep + k * perClass + j
                    values += d.images[(index * per)..<((index + 1) * per)].map(Double.init)
                }
            }
        }
        let columns = d.steps * perClass
        let captions = (0..<columns).map { "step \($0 / perClass + 1)" }
        func short(_ x: Float) -> String { formatNumber(Double(String(format: "%.3g", Double(x))) ?? Double(x)) }
        let g = d.rateGroups
        let rates = (0..<d.innerSteps).map { k -> String in
            let row = d.stepSizes[(k * g)..<((k + 1) * g)]
            let lo = row.min() ?? 0, hi = row.max() ?? 0
            return g == 1 ? short(lo) : "\(short(lo))–\(short(hi))"
        }.joined(separator: ", ")
        return try Charts.imageGrid(NDArray(shape: [classes * columns] + d.imageShape, data: values), columns: columns,
                                    columnCaptions: captions, rowLabels: (0..<classes).map(String.init),
                                    title: "distilled for \(d.model): step sizes \(rates)")
    }

    static func fileOption(_ args: inout Arguments, default name: String) throws -> String {
        guard let f = args.option("file"), !f.isNone else { return name }
        guard case .string(let s) = f, !s.isEmpty else { throw args.typeError("file", expected: "a non-empty file name string", got: f) }
        return s
    }

    /// The `markers` option: x values (a list or 1-D tensor of numbers), or none.
    static func markerOption(_ args: inout Arguments) throws -> [Double] {
        guard let v = args.option("markers"), !v.isNone else { return [] }
        guard let a = try v.asArray, a.shape.count <= 1 else { throw args.typeError("markers", expected: "a list of numbers", got: v) }
        return a.data
    }

    static func titleOption(_ args: inout Arguments, default title: String) throws -> String {
        guard let t = args.option("title"), !t.isNone else { return title }
        guard case .string(let s) = t else { throw args.typeError("title", expected: "a string", got: t) }
        return s
    }

    /// Writes the picture and prints its path (the call's value is nil, so it is not shown twice).
    static func write(_ canvas: Canvas, _ file: String, _ interpreter: Interpreter) throws -> Value {
        let url = interpreter.resolve(file).standardizedFileURL
        try canvas.write(to: url)
        interpreter.emit("wrote \(url.path) (\(canvas.width)×\(canvas.height))", json: .object([("type", .string("file")), ("path", .string(url.path))]))
        return .none
    }
}
