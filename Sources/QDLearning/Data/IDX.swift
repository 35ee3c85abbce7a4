import QDTensor

/// The IDX format of MNIST and Fashion-MNIST: a big-endian magic 0x0000 08 NN (unsigned bytes,
/// NN dimensions), NN big-endian 32-bit sizes, then the bytes.
enum IDX {
    /// The dimensions and payload of an IDX file of unsigned bytes with `rank` dimensions.
    static func parse(_ bytes: [UInt8], rank: Int, file: String) throws -> (dims: [Int], payload: ArraySlice<UInt8>) {
        guard bytes.count >= 4 + 4 * rank else {
            throw DataError(file: file, "truncated: \(bytes.count) bytes, an IDX header of rank \(rank) needs \(4 + 4 * rank)")
        }
        let magic = bytes[0..<4].reduce(0) { $0 << 8 | Int($1) }
        guard magic == 0x0800 | rank else {
            throw DataError(file: file, String(format: "wrong magic number 0x%08X; expected 0x%08X (unsigned bytes, %d dimension(s))", magic, 0x0800 | rank, rank))
        }
        let dims = (0..<rank).map { d in bytes[(4 + 4 * d)..<(8 + 4 * d)].reduce(0) { $0 << 8 | Int($1) } }
        // each size is below 2³², so three of them can overflow an Int
        let expected = Tensor<Float>.elementCount(dims), header = 4 + 4 * rank
        guard bytes.count - header == expected else {
            let promised = expected.map(String.init) ?? "more than 2⁶³"
            throw DataError(file: file, "the header promises \(dims.map(String.init).joined(separator: "×")) = \(promised) bytes of data; found \(bytes.count - header)")
        }
        return (dims, bytes[header...])
    }
}

import Foundation
