import Foundation
import XCTest
import QDLearning
import QDTensor

/// The MNIST and CIFAR-10 readers on small fixtures (valid and broken), the embedded subset, and
/// the full data in ../shared/data when it is present.
final class DataTests: XCTestCase {
    func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    func testReadsRawAndGzippedIDXWithNormalisation() throws {
        let train = try Datasets.load(.mnist, split: .train, folder: fixture("mnist-good"))
        let test = try Datasets.load(.mnist, split: .test, folder: fixture("mnist-good"))
        XCTAssertEqual(train.labels, [7, 0, 9])
        XCTAssertEqual(train.images.shape, [3, 1, 28, 28])
        XCTAssertEqual(test.images.values, train.images.values)
        // pixel (image 1, index 5) is (1·7 + 5) mod 256 = 12
        XCTAssertEqual(train.images.values[784 + 5], (12 / 255 - 0.1307) / 0.3081, accuracy: 1e-6)
        XCTAssertTrue(train.name.contains("MNIST train"))
    }

    func testFashionMNISTUsesTheSameFilesWithItsOwnNormalisation() throws {
        let fashion = try Datasets.load(.fashionMNIST, split: .train, folder: fixture("mnist-good"))
        XCTAssertEqual(fashion.labels, [7, 0, 9])
        XCTAssertEqual(fashion.images.values[784 + 5], (12 / 255 - 0.2860) / 0.3530, accuracy: 1e-6)
        XCTAssertTrue(fashion.name.hasPrefix("Fashion-MNIST train"))
        XCTAssertThrowsError(try Datasets.load(.fashionMNIST, split: .train)) { XCTAssertTrue("\($0)".contains("no subset is embedded")) }
    }

    func testBrokenFilesNameTheFileAndWhatWasWrong() throws {
        let cases: [(String, String)] = [
            ("mnist-wrong-magic", "wrong magic number 0x00000804; expected 0x00000803"),
            ("mnist-truncated", "promises 3×28×28 = 2352 bytes of data; found 984"),
            ("mnist-count-mismatch", "2 labels for 3 images"),
            ("mnist-corrupt-gzip", "gzip data"),
            ("mnist-bad-label", "label 12 is outside 0...9"),
        ]
        for (folder, message) in cases {
            XCTAssertThrowsError(try Datasets.load(.mnist, split: .train, folder: fixture(folder))) { error in
                XCTAssertTrue("\(error)".contains(message), "\(folder): \(error)")
                XCTAssertTrue("\(error)".contains(folder), "\(folder): the message should name the file: \(error)")
            }
        }
        XCTAssertThrowsError(try Datasets.load(.mnist, split: .test, folder: fixture("mnist-truncated"))) {
            XCTAssertTrue("\($0)".contains("missing (looked for t10k-images-idx3-ubyte and t10k-images-idx3-ubyte.gz)"))
        }
    }

    /// Sizes whose product overflows an Int (each is below 2³²) are a header promising more than
    /// any file holds, not a crash.
    func testAnIDXHeaderWhoseSizesOverflowIsAnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qd-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data([0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [0, 0]).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 1, 0]).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        XCTAssertThrowsError(try Datasets.load(.mnist, split: .train, folder: dir)) {
            XCTAssertTrue("\($0)".contains("promises 4294967295×4294967295×4294967295 = more than 2⁶³ bytes of data; found 2"), "\($0)")
        }
    }

    /// A dataset built from tensors checks what the loaders check: one label per image, each in
    /// 0..<classes, four-dimensional finite images; the message names the dataset and the range.
    func testDatasetsBuiltFromTensorsRejectWhatTheLoadersWould() throws {
        let images = Tensor<Float>.zeros([3, 1, 2, 2])
        XCTAssertEqual(try Dataset(name: "ok", images: images, labels: [0, 2, 1], classes: 3).classCounts, [1, 1, 1])
        func rejects(_ images: Tensor<Float>, _ labels: [Int], classes: Int = 3, _ expected: String) {
            XCTAssertThrowsError(try Dataset(name: "mine", images: images, labels: labels, classes: classes)) {
                XCTAssertEqual("\($0)", "mine: " + expected)
            }
        }
        rejects(images, [0, 3, 1], "label 3 of image 1 is outside 0..<3")
        rejects(images, [0, 1, -1], "label -1 of image 2 is outside 0..<3")
        rejects(images, [0, 1], "3 images and 2 labels; they must agree")
        rejects(.zeros([3, 4]), [0, 1, 2], "images of shape [3, 4]; expected [N, C, H, W]")
        rejects(images, [0, 0, 0], classes: 0, "0 classes; a dataset needs at least 1")
        var values = images.values
        values[6] = .nan
        rejects(try Tensor(shape: [3, 1, 2, 2], values: values), [0, 1, 2], "image 1 holds nan at value 2; images must be finite")
    }

    /// A prefix of n ≤ 0 images is empty (a negative n once made an invalid range), of more than
    /// the count the whole set.
    func testPrefixesOfAnyLength() throws {
        let train = try Datasets.load(.mnist, split: .train, folder: fixture("mnist-good"))
        XCTAssertEqual(try train.prefix(-1).count, 0)
        XCTAssertEqual(try train.prefix(2).labels, [7, 0])
        XCTAssertEqual(try train.prefix(.max).labels, [7, 0, 9])
    }

    func testReadsCIFARRecordsAndRejectsBrokenOnes() throws {
        let good = try Datasets.load(.cifar10, split: .test, folder: fixture("cifar-good"), requireStandardSize: false)
        XCTAssertEqual(good.labels, [3, 8])
        XCTAssertEqual(good.images.shape, [2, 3, 32, 32])
        // record 0, green channel pixel 0: byte (31 + 1024) mod 256 = 31
        XCTAssertEqual(good.images.values[1024], (31 / 255 - 0.4822) / 0.243, accuracy: 1e-6)
        XCTAssertThrowsError(try Datasets.load(.cifar10, split: .test, folder: fixture("cifar-truncated"), requireStandardSize: false)) {
            XCTAssertTrue("\($0)".contains("5000 bytes is not a whole number of 3073-byte records"))
        }
        XCTAssertThrowsError(try Datasets.load(.cifar10, split: .test, folder: fixture("cifar-bad-label"), requireStandardSize: false)) {
            XCTAssertTrue("\($0)".contains("record 1 has label 11"))
        }
        // by default a batch file must hold the standard 10000 records
        XCTAssertThrowsError(try Datasets.load(.cifar10, split: .test, folder: fixture("cifar-good"))) {
            XCTAssertTrue("\($0)".contains("holds 2 records; a CIFAR-10 batch file holds 10000"))
        }
    }

    func testEmbeddedSubsetIsClassBalanced() throws {
        let train = try Datasets.load(.mnist, split: .train), test = try Datasets.load(.mnist, split: .test)
        XCTAssertEqual(train.classCounts, [Int](repeating: 100, count: 10))
        XCTAssertEqual(test.classCounts, [Int](repeating: 50, count: 10))
        XCTAssertTrue(train.name.contains("embedded subset"))
        let cifar = try Datasets.load(.cifar10, split: .train), cifarTest = try Datasets.load(.cifar10, split: .test)
        XCTAssertEqual(cifar.classCounts, [Int](repeating: 50, count: 10))
        XCTAssertEqual(cifarTest.classCounts, [Int](repeating: 20, count: 10))
        let few = try train.classBalanced(perClass: 3, seed: 1)
        XCTAssertEqual(few.classCounts, [Int](repeating: 3, count: 10))
    }

    /// ../shared/data beside the repository (or QD_DATA), when present.
    func sharedData() throws -> URL {
        if let env = Datasets.environmentFolder { return env }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = root.deletingLastPathComponent().appendingPathComponent("shared/data")
        guard FileManager.default.fileExists(atPath: shared.appendingPathComponent("mnist").path) else {
            throw XCTSkip("SKIPPED: the full MNIST/CIFAR-10 data is not at \(shared.path) and QD_DATA is not set")
        }
        return shared
    }

    func testFullMNISTAndCIFARWhenPresent() throws {
        let folder = try sharedData()
        let train = try Datasets.load(.mnist, split: .train, folder: folder), test = try Datasets.load(.mnist, split: .test, folder: folder)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(Array(train.labels.prefix(10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
        XCTAssertEqual(Array(test.labels.prefix(10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        XCTAssertEqual(train.classCounts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        let cifar = try Datasets.load(.cifar10, split: .test, folder: folder)
        XCTAssertEqual(Array(cifar.labels.prefix(10)), [3, 8, 8, 0, 6, 6, 1, 6, 3, 1])
        XCTAssertEqual(cifar.classCounts, [Int](repeating: 1000, count: 10))
    }
}
