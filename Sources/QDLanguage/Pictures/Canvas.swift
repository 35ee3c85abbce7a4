import Foundation

/// An RGB raster to draw pictures on: rectangles, lines, text in a 5×7 pixel font, and
/// grey-scale images; written out as PNG.
struct Canvas {
    /// A colour.
    struct Color: Equatable {
        var r: UInt8, g: UInt8, b: UInt8
        static let white = Color(r: 255, g: 255, b: 255)
        static let black = Color(r: 0, g: 0, b: 0)
        static let grey = Color(r: 150, g: 150, b: 150)
        static let light = Color(r: 225, g: 225, b: 225)
        static let blue = Color(r: 31, g: 119, b: 180)
        static let orange = Color(r: 255, g: 127, b: 14)
    }

    let width: Int
    let height: Int
    private(set) var pixels: [UInt8]

    /// Pixels from one character of ``text(_:x:y:scale:_:)`` to the next at scale 1: a 5-pixel
    /// glyph and a 1-pixel gap.
    static let glyphAdvance = 6

    /// The width in pixels of `s` as ``text(_:x:y:scale:_:)`` draws it: `glyphAdvance · scale` per character.
    static func textWidth(_ s: String, scale: Int = 1) -> Int { glyphAdvance * scale * s.count }

    /// A canvas filled with `background`.
    init(width: Int, height: Int, background: Color = .white) throws {
        guard (1...16_384).contains(width), (1...16_384).contains(height) else {
            throw RuntimeError("a picture must be 1...16384 pixels wide and high; got \(width)×\(height)")
        }
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(x: 0, y: 0, w: width, h: height, background)
    }

    /// Sets pixel (x, y) to `c`, if it lies on the canvas.
    mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard (0..<width).contains(x), (0..<height).contains(y) else { return }
        let k = 3 * (y * width + x)
        pixels[k] = c.r; pixels[k + 1] = c.g; pixels[k + 2] = c.b
    }

    /// Fills the part of the rectangle that lies on the canvas (none of it, when it lies outside).
    mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Color) {
        let (x0, x1, y0, y1) = (max(0, x), min(width, x + w), max(0, y), min(height, y + h))
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A line from (x0, y0) to (x1, y1) (Bresenham).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, c)
            if x == x1 && y == y1 { return }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Text with its top-left corner at (x, y), `scale` pixels per font pixel; returns its width.
    @discardableResult
    mutating func text(_ s: String, x: Int, y: Int, scale: Int = 1, _ c: Color = .black) -> Int {
        var cx = x
        for ch in s {
            let rows = Font.glyph(ch)
            for (r, bits) in rows.enumerated() {
                for col in 0..<5 where bits & (1 << (4 - col)) != 0 {
                    fill(x: cx + col * scale, y: y + r * scale, w: scale, h: scale, c)
                }
            }
            cx += Canvas.glyphAdvance * scale
        }
        return cx - x
    }

    /// A grey-scale image (values mapped linearly from [lo, hi] to black…white), each value a
    /// `scale × scale` block, top-left at (x, y). `channels` 3 draws an RGB image.
    mutating func image(_ values: ArraySlice<Double>, rows: Int, cols: Int, channels: Int = 1, lo: Double, hi: Double, x: Int, y: Int, scale: Int) {
        let span = hi > lo ? hi - lo : 1
        func level(_ v: Double) -> UInt8 { UInt8(max(0, min(255, ((v - lo) / span * 255).rounded()))) }
        let base = values.startIndex
        for r in 0..<rows {
            for col in 0..<cols {
                let c: Color
                if channels == 3 {
                    c = Color(r: level(values[base + r * cols + col]), g: level(values[base + rows * cols + r * cols + col]),
                              b: level(values[base + 2 * rows * cols + r * cols + col]))
                } else {
                    let g = level(values[base + r * cols + col])
                    c = Color(r: g, g: g, b: g)
                }
                fill(x: x + col * scale, y: y + r * scale, w: scale, h: scale, c)
            }
        }
    }

    /// Canvases one above the other.
    static func stacked(_ parts: [Canvas]) throws -> Canvas {
        var out = try Canvas(width: parts.map(\.width).max() ?? 1, height: max(1, parts.map(\.height).reduce(0, +)))
        var top = 0
        for p in parts {
            for y in 0..<p.height {
                let row = p.pixels[(3 * y * p.width)..<(3 * (y + 1) * p.width)]
                out.pixels.replaceSubrange((3 * ((top + y) * out.width))..<(3 * ((top + y) * out.width + p.width)), with: row)
            }
            top += p.height
        }
        return out
    }

    /// The PNG bytes.
    func png() throws -> Data { try PNG.encode(width: width, height: height, rgb: pixels) }

    /// Writes the PNG to `url`.
    func write(to url: URL) throws {
        do { try png().write(to: url, options: .atomic) } catch let e as RuntimeError { throw e } catch {
            throw RuntimeError("cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
