import Foundation

/// The pictures qd draws: image grids, line charts, bar charts and circuit diagrams.
enum Charts {
    /// Images [N, C, H, W] (C = 1 or 3) in a grid of `columns`, each scaled up, with an optional
    /// caption under each column and a title; values map linearly from the tensor's range.
    static func imageGrid(_ t: NDArray, columns: Int, columnCaptions: [String] = [], rowLabels: [String] = [], title: String) throws -> Canvas {
        guard t.shape.count == 4 || t.shape.count == 3, t.shape[0] >= 1 else {
            throw RuntimeError("images: expected images [N, C, H, W] or [N, H, W]; got shape \(t.shape)")
        }
        let n = t.shape[0]
        let (c, h, w) = t.shape.count == 4 ? (t.shape[1], t.shape[2], t.shape[3]) : (1, t.shape[1], t.shape[2])
        guard c == 1 || c == 3 else { throw RuntimeError("images: 1 or 3 channels; got \(c)") }
        let scale = max(1, 56 / max(h, w))
        let cell = max(h, w) * scale + 4
        let cols = max(1, min(columns, n)), rows = (n + cols - 1) / cols
        let left = rowLabels.isEmpty ? 4 : (rowLabels.map { Canvas.textWidth($0) }.max() ?? 0) + 8
        let top = 16, bottom = columnCaptions.isEmpty ? 4 : 14
        let widthForTitle = Canvas.textWidth(title) + 8
        var canvas = try Canvas(width: max(left + cols * cell + 4, widthForTitle), height: top + rows * cell + bottom)
        canvas.text(title, x: 4, y: 4)
        let finite = t.data.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 1
        let per = c * h * w
        for k in 0..<n {
            let x = left + (k % cols) * cell, y = top + (k / cols) * cell
            canvas.image(t.data[(k * per)..<((k + 1) * per)], rows: h, cols: w, channels: c, lo: lo, hi: hi, x: x + 2, y: y + 2, scale: scale)
        }
        for (r, label) in rowLabels.prefix(rows).enumerated() { canvas.text(label, x: 4, y: top + r * cell + cell / 2 - 3) }
        for (k, caption) in columnCaptions.prefix(cols).enumerated() {
            canvas.text(String(caption.prefix(max(1, cell / Canvas.glyphAdvance))), x: left + k * cell + 2, y: top + rows * cell + 3, Canvas.Color.grey)
        }
        return canvas
    }

    /// Line charts of one or more series against 1, 2, ... (or given x values), with axes, the
    /// y range and a legend; `markers` (named in the legend as `markerName`) are red vertical
    /// lines at those x values. Values above `clipAbove` are drawn at the top edge. The legend
    /// follows the title, or takes the line below it when both do not fit; text past the right
    /// edge is cut off.
    static func lineChart(_ series: [(name: String, x: [Double], y: [Double], color: Canvas.Color)], title: String,
                          markers: [Double] = [], markerName: String = "marker", clipAbove: Double = .infinity) throws -> Canvas {
        let points = series.flatMap { zip($0.x, $0.y).filter { $0.0.isFinite && $0.1.isFinite } }
        guard !points.isEmpty else { throw RuntimeError("plot: nothing to plot (no finite values)") }
        let (width, height, left, right, top, bottom) = (640, 360, 64, 16, 28, 32)
        var canvas = try Canvas(width: width, height: height)
        canvas.text(title, x: left, y: 8)
        var (x0, x1) = (points.map(\.0).min()!, points.map(\.0).max()!)
        var (y0, y1) = (points.map(\.1).min()!, min(points.map(\.1).max()!, clipAbove))
        if x1 == x0 { x1 = x0 + 1 }
        if y1 == y0 { y0 -= 0.5; y1 += 0.5 }
        let pw = Double(width - left - right), ph = Double(height - top - bottom)
        func px(_ x: Double) -> Int { left + Int((fraction(x, from: x0, to: x1) * pw).rounded()) }
        func py(_ y: Double) -> Int { top + Int((fraction(min(y, y1), from: y1, to: y0) * ph).rounded()) }
        for k in 0...4 {
            // the span y1 − y0 overflows only for values near ±1.8·10³⁰⁸; a weighted sum cannot
            let t = Double(k) / 4, y = (y1 - y0).isFinite ? y0 + (y1 - y0) * t : y0 * (1 - t) + y1 * t
            canvas.line(left, py(y), width - right, py(y), .light)
            canvas.text(formatNumber(Double(String(format: "%.4g", y)) ?? y), x: 4, y: py(y) - 3, .grey)
        }
        canvas.line(left, top, left, height - bottom, .black)
        canvas.line(left, height - bottom, width - right, height - bottom, .black)
        canvas.text(formatNumber(x0), x: left, y: height - bottom + 6, .grey)
        let last = formatNumber(x1)
        canvas.text(last, x: width - right - Canvas.textWidth(last), y: height - bottom + 6, .grey)
        let red = Canvas.Color(r: 214, g: 39, b: 40)
        for m in markers where m.isFinite && m >= x0 && m <= x1 { canvas.line(px(m), top, px(m), height - bottom, red) }
        for s in series {
            let pts = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }
            for (a, b) in zip(pts, pts.dropFirst()) { canvas.line(px(a.0), py(a.1), px(b.0), py(b.1), s.color) }
            if pts.count <= 40 { for p in pts { canvas.fill(x: px(p.0) - 2, y: py(p.1) - 2, w: 5, h: 5, s.color) } }
        }
        // legend entries: a red bar for the markers, a coloured swatch per series
        let entries = (markers.isEmpty ? [] : [(label: markerName, color: red, marker: true)])
            + series.map { (label: $0.name, color: $0.color, marker: false) }
        let legendWidth = entries.reduce(0) { $0 + ($1.marker ? 6 : 14) + Canvas.textWidth($1.label) + 12 }
        let afterTitle = left + Canvas.textWidth(title) + 24
        var (legendX, legendY) = afterTitle + legendWidth <= width - right ? (afterTitle, 8) : (left, 18)
        for e in entries {
            canvas.fill(x: legendX, y: legendY + 1, w: e.marker ? 2 : 10, h: e.marker ? 9 : 5, e.color)
            let indent = e.marker ? 6 : 14
            legendX += indent + canvas.text(e.label, x: legendX + indent, y: legendY) + 12
        }
        return canvas
    }

    /// Where `v` lies from `from` (0) to `to` (1), clamped to −1 ... 2 so that a pixel position
    /// always fits an `Int`: (v − from) / (to − from), computed on halves so that a span wider than
    /// the largest double does not overflow (halving is exact, so other values keep their bits);
    /// 0.5 when the ends coincide.
    private static func fraction(_ v: Double, from: Double, to: Double) -> Double {
        let span = to / 2 - from / 2
        guard span != 0 else { return 0.5 }
        let f = (v / 2 - from / 2) / span
        return f.isNaN ? 0.5 : min(2, max(-1, f))
    }

    /// A y value above which a chart of `values` is clipped so that rare huge spikes do not
    /// flatten the rest: 1.5 × the 99.5th percentile, or infinity when nothing lies that far out.
    static func spikeClip(_ values: [Double]) -> Double {
        let finite = values.filter(\.isFinite).sorted()
        guard let top = finite.last else { return .infinity }
        let clip = 1.5 * finite[Int(Double(finite.count - 1) * 0.995)]
        return top > clip && clip > 0 ? clip : .infinity
    }

    /// A bar chart of `values` with a label under each bar (basis states for probabilities).
    static func barChart(_ values: [Double], labels: [String], title: String) throws -> Canvas {
        guard !values.isEmpty, values.count <= 4096 else { throw RuntimeError("histogram: 1...4096 bars; got \(values.count)") }
        let labelWidth = labels.map { Canvas.textWidth($0) }.max() ?? Canvas.glyphAdvance
        let bar = max(8, labelWidth + 4)
        let (left, top, bottom) = (48, 28, 20)
        let height = 260
        var canvas = try Canvas(width: max(left + values.count * bar + 16, Canvas.textWidth(title) + 16), height: height)
        canvas.text(title, x: 8, y: 8)
        let top1 = max(values.filter(\.isFinite).max() ?? 1, 1e-12)
        let ph = Double(height - top - bottom)
        for k in 0...4 {
            let v = top1 * Double(k) / 4, y = top + Int(((1 - Double(k) / 4) * ph).rounded())
            canvas.line(left, y, left + values.count * bar, y, .light)
            canvas.text(String(format: "%.2f", v), x: 4, y: y - 3, .grey)
        }
        for (k, v) in values.enumerated() {
            let hgt = Int(((v.isNaN ? 0 : min(1, max(0, v / top1))) * ph).rounded())
            canvas.fill(x: left + k * bar + 2, y: height - bottom - hgt, w: bar - 4, h: hgt, .blue)
            if k < labels.count { canvas.text(labels[k], x: left + k * bar + 2, y: height - bottom + 6) }
        }
        canvas.line(left, height - bottom, left + values.count * bar, height - bottom, .black)
        return canvas
    }

    /// The text diagram drawn on a character grid; box-drawing characters become lines.
    static func diagram(_ text: String) throws -> Canvas {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        let (cw, ch) = (8, 16)
        let cols = lines.map(\.count).max() ?? 1
        var canvas = try Canvas(width: 16 + cols * cw, height: 16 + lines.count * ch)
        for (r, line) in lines.enumerated() {
            for (c, char) in line.enumerated() {
                let x = 8 + c * cw, y = 8 + r * ch, mx = x + cw / 2, my = y + ch / 2
                switch char {
                case "─": canvas.line(x, my, x + cw - 1, my, .black)
                case "│": canvas.line(mx, y, mx, y + ch - 1, .black)
                case "╭": canvas.line(mx, my, x + cw - 1, my, .black); canvas.line(mx, my, mx, y + ch - 1, .black)
                case "╰": canvas.line(mx, y, mx, my, .black); canvas.line(mx, my, x + cw - 1, my, .black)
                case "├": canvas.line(mx, y, mx, y + ch - 1, .black); canvas.line(mx, my, x + cw - 1, my, .black)
                case "┤": canvas.line(mx, y + 2, mx, y + ch - 3, .black); canvas.line(x, my, mx, my, .black)
                case "╮": canvas.line(x, my, mx, my, .black); canvas.line(mx, my, mx, y + ch - 1, .black)
                case "╯": canvas.line(mx, y, mx, my, .black); canvas.line(x, my, mx, my, .black)
                case "┼": canvas.line(mx, y, mx, y + ch - 1, .black); canvas.line(x, my, x + cw - 1, my, .black)
                case "●": canvas.line(x, my, x + cw - 1, my, .black); canvas.fill(x: mx - 3, y: my - 3, w: 7, h: 7, .black)
                default: canvas.text(String(char), x: x + 1, y: y + 4)
                }
            }
        }
        return canvas
    }
}
