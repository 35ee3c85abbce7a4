import CZlib
import Foundation
import QDLanguage
import XCTest

/// The PNG files decode: signature, chunk CRCs and dimensions are right, and a known image's pixel
/// values come back out of the compressed data.
final class PictureTests: XCTestCase {
    struct DecodedPNG {
        var width: Int, height: Int, rgb: [UInt8]
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(rgb[(3 * (y * width + x))..<(3 * (y * width + x) + 3)]) }
    }

    /// A strict decoder for the subset qd writes (8-bit RGB, filter 0), checking every CRC.
    static func decode(_ data: Data) throws -> DecodedPNG {
        let bytes = [UInt8](data)
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        var i = 8
        var width = 0, height = 0, idat: [UInt8] = [], sawEnd = false
        func u32(_ k: Int) -> Int {
            let b0 = Int(bytes[k]) << 24, b1 = Int(bytes[k + 1]) << 16
            let b2 = Int(bytes[k + 2]) << 8, b3 = Int(bytes[k + 3])
            return b0 | b1 | b2 | b3
        }
        while i + 12 <= bytes.count {
            let length = u32(i)
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            let body = Array(bytes[(i + 8)..<(i + 8 + length)])
            let typeAndBody = Array(bytes[(i + 4)..<(i + 8 + length)])
            let stored = UInt(u32(i + 8 + length))
            let computed = UInt(crc32(0, typeAndBody, uInt(typeAndBody.count)))
            XCTAssertEqual(stored, computed, "CRC of \(type)")
            switch type {
            case "IHDR":
                width = u32(i + 8); height = u32(i + 12)
                XCTAssertEqual(Array(body[8...]), [8, 2, 0, 0, 0], "8-bit RGB, no interlace")
            case "IDAT": idat += body
            case "IEND": sawEnd = true
            default: break
            }
            i += 12 + length
        }
        XCTAssertTrue(sawEnd)
        let rowBytes = 1 + 3 * width
        var size = uLongf(height * rowBytes)
        var raw = [UInt8](repeating: 0, count: Int(size))
        XCTAssertEqual(uncompress(&raw, &size, idat, uLong(idat.count)), Z_OK)
        var rgb: [UInt8] = []
        for y in 0..<height {
            XCTAssertEqual(raw[y * rowBytes], 0, "filter type 0")
            rgb += raw[(y * rowBytes + 1)..<((y + 1) * rowBytes)]
        }
        return DecodedPNG(width: width, height: height, rgb: rgb)
    }

    private func run(_ script: String, in dir: URL) throws {
        var options = Interpreter.Options()
        options.workingDirectory = dir
        let r = ScriptRunner(options: options)
        XCTAssertEqual(r.run(script), [])
    }

    func testAKnownImageRoundTrips() throws {
        let dir = try scratchDirectory("qd-png")
        // one 2×2 image: black, white / white, black; each pixel becomes a 28×28 block at (6, 18)
        try run("images(tensor([[[[0, 1], [1, 0]]]]), file: \"known.png\")", in: dir)
        let png = try Self.decode(Data(contentsOf: dir.appendingPathComponent("known.png")))
        XCTAssertGreaterThanOrEqual(png.width, 62)
        XCTAssertEqual(png.height, 16 + 60 + 4)
        XCTAssertEqual(png.pixel(6, 18), [0, 0, 0])
        XCTAssertEqual(png.pixel(6 + 28, 18), [255, 255, 255])
        XCTAssertEqual(png.pixel(6, 18 + 28), [255, 255, 255])
        XCTAssertEqual(png.pixel(6 + 55, 18 + 55), [0, 0, 0])
    }

    func testEveryPictureKindDecodes() throws {
        let dir = try scratchDirectory("qd-png")
        try run("""
        let c = circuit(2) { h 0; cx 0, 1 }
        draw(c, Z0, file: "circuit.png")
        histogram(probs(c), file: "hist.png")
        images(mnist().take(20), file: "digits.png")
        plot([3, 1, 2], file: "plot.png", markers: [2])
        let d = distill(lenet(), mnist().take(40), batch: 20)
        d.step(2);
        images(d, file: "distilled.png")
        plot(d, file: "curves.png")
        """, in: dir)
        // curves.png stacks the loss chart over the accuracy chart
        for (name, size) in [("circuit.png", (144, 48)), ("hist.png", (128, 260)), ("plot.png", (640, 360)), ("curves.png", (640, 720))] {
            let png = try Self.decode(Data(contentsOf: dir.appendingPathComponent(name)))
            XCTAssertEqual(png.width, size.0, name)
            XCTAssertEqual(png.height, size.1, name)
        }
        let hist = try Self.decode(Data(contentsOf: dir.appendingPathComponent("hist.png")))
        // 16-pixel bars from x = 48: the |00⟩ bar (0.5, the tallest) reaches the top grid line (y = 28); |01⟩ has none
        XCTAssertEqual(hist.pixel(48 + 4, 30), [31, 119, 180])
        XCTAssertEqual(hist.pixel(48 + 16 + 4, 200), [255, 255, 255])
        // the marker at x = 2 of 1...3 is a red vertical line at the plot area's middle (x = 64 + 560/2)
        let plot = try Self.decode(Data(contentsOf: dir.appendingPathComponent("plot.png")))
        XCTAssertEqual(plot.pixel(344, 150), [214, 39, 40])
        XCTAssertEqual(plot.pixel(300, 150), [255, 255, 255])
        for name in ["digits.png", "distilled.png"] { XCTAssertGreaterThan(try Self.decode(Data(contentsOf: dir.appendingPathComponent(name))).height, 60) }
    }

    /// A title too long to share its line with the legend pushes the legend to the line below,
    /// and text running past the right edge is cut off instead of stopping the program (a run's
    /// chart, titled with its model's name, once did).
    func testLongTitlesAndLegendsStayOnTheCanvas() throws {
        let dir = try scratchDirectory("qd-png")
        let long = String(repeating: "qlenet (residual weight 0.5) ", count: 2)
        try run("""
        plot([1, 3, 2], title: "\(long)", markers: [2], file: "two_lines.png")
        plot([[1, 3, 2], [2, 2, 1]], title: "\(String(repeating: "w", count: 200))", markers: [2], file: "cut.png")
        plot([1, 3, 2], title: "short", markers: [2], file: "one_line.png")
        """, in: dir)
        let twoLines = try Self.decode(Data(contentsOf: dir.appendingPathComponent("two_lines.png")))
        XCTAssertEqual(twoLines.width, 640)
        XCTAssertEqual(twoLines.pixel(64, 19), [214, 39, 40], "the marker's legend bar starts the second line")
        let oneLine = try Self.decode(Data(contentsOf: dir.appendingPathComponent("one_line.png")))
        XCTAssertEqual(oneLine.pixel(64 + 6 * 5 + 24, 9), [214, 39, 40], "the legend follows a short title")
        XCTAssertEqual(try Self.decode(Data(contentsOf: dir.appendingPathComponent("cut.png"))).width, 640)
    }

    /// Values whose range overflows a double (−10³⁰⁸ to 10³⁰⁸), or whose equal values cannot be
    /// widened into a range (10³⁰⁰), and infinite or NaN bars still draw: the points sit where their
    /// fractions of the range put them (they once stopped the program converting NaN to a pixel).
    func testExtremeValuesStillDraw() throws {
        let dir = try scratchDirectory("qd-png")
        try run("""
        plot([-1e308, 1e308, 0], file: "wide.png")
        plot([1e300, 1e300], file: "flat.png")
        let inf = 1e308 * 10
        histogram([inf, inf - inf, 1, 0.5], file: "bars.png")
        """, in: dir)
        let wide = try Self.decode(Data(contentsOf: dir.appendingPathComponent("wide.png")))
        // plot area x 64...624, y 28...328: (1, −1e308) bottom left, (2, 1e308) top middle, (3, 0) mid-height right
        for (x, y) in [(64, 328), (344, 28), (624, 178)] { XCTAssertEqual(wide.pixel(x, y), [31, 119, 180], "a point at (\(x), \(y))") }
        let flat = try Self.decode(Data(contentsOf: dir.appendingPathComponent("flat.png")))
        XCTAssertEqual(flat.pixel(64, 178), [31, 119, 180], "equal values draw at mid-height")
        let bars = try Self.decode(Data(contentsOf: dir.appendingPathComponent("bars.png")))
        // bars (from x 48, from y 240 up to 28 for the largest finite value): infinity and 1 full,
        // NaN none, 0.5 half
        let bar = (bars.width - 64) / 4, blue: [UInt8] = [31, 119, 180]
        func column(_ k: Int, _ y: Int) -> [UInt8] { bars.pixel(48 + k * bar + 4, y) }
        XCTAssertEqual([column(0, 30), column(2, 30), column(3, 230)], [blue, blue, blue])
        XCTAssertNotEqual(column(1, 230), blue)
        XCTAssertNotEqual(column(3, 100), blue)
    }

    /// Distilled data whose labels are not the distiller's layout (a hand-edited file) is not drawn
    /// as a class grid (a huge label once overflowed, or looped for ever); its images still draw.
    func testDistilledDataOutOfLayoutIsAnErrorNamingTheWayOut() throws {
        let dir = try scratchDirectory("qd-png")
        for labels in ["[1, 0]", "[0, 9223372036854775807]"] {
            try Data("""
            {"format": "qd-distilled-1", "model": "tiny", "imageShape": [1, 2, 2], "images": [0, 1, 2, 3, 4, 5, 6, 7],
             "labels": \(labels), "stepSizes": [0.1], "steps": 1, "seed": 7}
            """.utf8).write(to: dir.appendingPathComponent("d.json"))
            var options = Interpreter.Options()
            options.workingDirectory = dir
            let r = ScriptRunner(options: options)
            XCTAssertEqual(r.run("let x = load_distilled(\"d.json\")\nimages(x, file: \"grid.png\")").first,
                           "test.qd:2:1: error: images: the distilled labels are not the distiller's layout (each step's images by class, the same count of each); draw its images member instead, images(x.images)")
            XCTAssertEqual(r.run("let x = load_distilled(\"d.json\")\nimages(x.images, file: \"plain.png\");"), [])
        }
    }

    /// The en dash of per-layer step-size ranges ("0.0704–3.19" in a distilled grid's title) is
    /// drawn as a dash, not as the box of a missing glyph.
    func testStepSizeRangesDrawTheirDash() throws {
        let dir = try scratchDirectory("qd-png")
        try run("plot([1, 3, 2], title: \"0.07–3.19\", file: \"en.png\")\nplot([1, 3, 2], title: \"0.07-3.19\", file: \"hyphen.png\")", in: dir)
        let en = try Self.decode(Data(contentsOf: dir.appendingPathComponent("en.png")))
        let hyphen = try Self.decode(Data(contentsOf: dir.appendingPathComponent("hyphen.png")))
        XCTAssertEqual(en.rgb, hyphen.rgb)
    }

    /// One huge outer-loss spike (as when a run collapses) does not flatten a distiller's loss
    /// chart: the chart is clipped above 1.5× the 99.5th percentile, so the ordinary losses, far
    /// from the spike, still spread over the plot's height.
    func testALossSpikeDoesNotFlattenTheDistillerChart() throws {
        let dir = try scratchDirectory("qd-png")
        try run("let d = distill(lenet(), mnist().take(40), batch: 20)\nd.step(20);\nd.save(\"c.json\");", in: dir)
        let url = dir.appendingPathComponent("c.json")
        var checkpoint = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var losses = try XCTUnwrap(checkpoint["losses"] as? [Double])
        losses[15] = 1e13
        checkpoint["losses"] = losses
        try JSONSerialization.data(withJSONObject: checkpoint).write(to: url)
        try run("let d = resume(\"c.json\", lenet(), mnist().take(40))\nplot(d, file: \"spiky.png\")", in: dir)
        let png = try Self.decode(Data(contentsOf: dir.appendingPathComponent("spiky.png")))
        // iterations 1...12 sit left of x = 64 + 11/19·560 ≈ 388, away from the spike at 16
        let blueInTheMiddle = (64..<380).contains { x in (100..<325).contains { y in png.pixel(x, y) == [31, 119, 180] } }
        XCTAssertTrue(blueInTheMiddle, "the ordinary losses were flattened against the bottom of the chart")
    }
}
