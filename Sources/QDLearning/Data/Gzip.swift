import CZlib
import Foundation

/// Reads a file, inflating it when it is gzip (magic 1f 8b). Errors name the file.
func readMaybeGzipped(_ url: URL) throws -> [UInt8] {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw DataError(file: url.path, "cannot be read (\(FileManager.default.fileExists(atPath: url.path) ? "unreadable" : "missing"))")
    }
    let bytes = [UInt8](data)
    guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else { return bytes }
    return try inflate(bytes, file: url.path)
}

/// Inflates a gzip stream (every member, as `gunzip` does).
func inflate(_ input: [UInt8], file: String) throws -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 4)
    var stream = z_stream()
    guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw DataError(file: file, "zlib could not start inflating")
    }
    defer { inflateEnd(&stream) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    try input.withUnsafeBufferPointer { inp in
        stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress!)
        stream.avail_in = UInt32(inp.count)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { out in
                stream.next_out = out.baseAddress!
                stream.avail_out = UInt32(out.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            if status == Z_STREAM_END {
                if stream.avail_in == 0 { return }
                guard inflateReset(&stream) == Z_OK else { throw DataError(file: file, "corrupt gzip data after member end") }
                continue
            }
            guard status == Z_OK else {
                throw DataError(file: file, "corrupt or truncated gzip data (zlib status \(status) after \(output.count) bytes)")
            }
            if stream.avail_in == 0 && stream.avail_out != 0 {
                throw DataError(file: file, "truncated gzip data: the stream ended after \(output.count) bytes without its end marker")
            }
        }
    }
    return output
}
