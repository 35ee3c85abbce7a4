import CZlib
import Foundation

/// PNG encoding of 8-bit RGB images: signature, IHDR, one zlib-compressed IDAT (filter 0 on every
/// row), IEND, each chunk with its CRC-32. No dependency beyond zlib.
enum PNG {
    /// The PNG bytes of a `width × height` RGB image (`rgb` row-major, 3 bytes per pixel).
    static func encode(width: Int, height: Int, rgb: [UInt8]) throws -> Data {
        precondition(rgb.count == width * height * 3, "PNG.encode: \(rgb.count) bytes for \(width)×\(height) RGB")
        var raw = [UInt8]()
        raw.reserveCapacity(height * (1 + 3 * width))
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: rgb[(y * width * 3)..<((y + 1) * width * 3)])
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let status = compress2(&compressed, &compressedSize, raw, uLong(raw.count), 9)
        guard status == Z_OK else { throw RuntimeError("PNG: zlib compression failed (status \(status))") }
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            out.append(contentsOf: bigEndian(UInt32(body.count)))
            let bytes = Array(type.utf8) + body
            out.append(contentsOf: bytes)
            out.append(contentsOf: bigEndian(UInt32(crc32(0, bytes, uInt(bytes.count)))))
        }
        chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        chunk("IDAT", Array(compressed[0..<Int(compressedSize)]))
        chunk("IEND", [])
        return out
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
