import Foundation
import QDTensor

/// A labelled set of images in normalised space, [N, C, H, W] Float32.
public struct Dataset: Sendable {
    /// What the data is and where it came from, e.g. "MNIST test (embedded subset)".
    public let name: String
    /// The images, normalised per channel: (x/255 − mean)/std.
    public let images: Tensor<Float>
    /// Class indices, one per image.
    public let labels: [Int]
    /// Number of classes.
    public let classes: Int

    /// Number of images.
    public var count: Int { labels.count }
    /// The shape of one image, [C, H, W].
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// A dataset of `images` [N, C, H, W] with one label in 0..<classes each. Throws a
    /// ``DataError`` naming the dataset when the images are not four-dimensional, their count
    /// differs from the labels', a label is outside 0..<classes (classes ≥ 1), or a value is NaN
    /// or infinite.
    public init(name: String, images: Tensor<Float>, labels: [Int], classes: Int) throws {
        guard classes >= 1 else { throw DataError(file: name, "\(classes) classes; a dataset needs at least 1") }
        guard images.shape.count == 4 else {
            throw DataError(file: name, "images of shape \(images.shape); expected [N, C, H, W]")
        }
        guard images.shape[0] == labels.count else {
            throw DataError(file: name, "\(images.shape[0]) images and \(labels.count) labels; they must agree")
        }
        if let i = labels.firstIndex(where: { !(0..<classes).contains($0) }) {
            throw DataError(file: name, "label \(labels[i]) of image \(i) is outside 0..<\(classes)")
        }
        if let k = images.values.firstIndex(where: { !$0.isFinite }) {
            let perImage = max(1, images.shape.dropFirst().reduce(1, *))
            throw DataError(file: name, "image \(k / perImage) holds \(images.values[k]) at value \(k % perImage); images must be finite")
        }
        self.init(unchecked: name, images: images, labels: labels, classes: classes)
    }

    /// A dataset that is valid by construction (decoded from bytes, or a subset of a valid
    /// dataset), without the checks' pass over every value.
    init(unchecked name: String, images: Tensor<Float>, labels: [Int], classes: Int) {
        self.name = name
        self.images = images
        self.labels = labels
        self.classes = classes
    }

    /// The images and labels at `indices`.
    public func batch(_ indices: [Int]) throws -> (images: Tensor<Float>, labels: [Int]) {
        (try images.gathered(axis: 0, indices: indices), indices.map { labels[$0] })
    }

    /// Up to `perClass` images of each class, the first ones in a seeded shuffle (class-balanced subset).
    public func classBalanced(perClass: Int, seed: UInt64) throws -> Dataset {
        var rng = SeededRandom(seed: seed)
        var taken = [Int](repeating: 0, count: classes)
        var picked: [Int] = []
        for i in (0..<count).shuffled(using: &rng) where taken[labels[i]] < perClass {
            taken[labels[i]] += 1
            picked.append(i)
        }
        picked.sort()
        return try subset(picked, name: "\(name), \(perClass) per class")
    }

    /// The first `n` images (none for n ≤ 0, all of them for n ≥ count).
    public func prefix(_ n: Int) throws -> Dataset {
        let taken = max(0, min(n, count))
        return try subset(Array(0..<taken), name: "\(name), first \(taken)")
    }

    /// The images at `indices` as a dataset named `name` (valid, as this one is).
    func subset(_ indices: [Int], name: String) throws -> Dataset {
        let (x, y) = try batch(indices)
        return Dataset(unchecked: name, images: x, labels: y, classes: classes)
    }

    /// How many images each class has.
    public var classCounts: [Int] { labels.reduce(into: [Int](repeating: 0, count: classes)) { $0[$1] += 1 } }
}

/// The datasets qd reads, with their standard file names and the reference normalisation.
public enum DatasetKind: String, Sendable, CaseIterable {
    case mnist, fashionMNIST = "fashion-mnist", cifar10

    /// Per-channel means and standard deviations (MNIST and CIFAR-10 as in the reference code;
    /// Fashion-MNIST's training-set statistics).
    public var normalization: (mean: [Float], std: [Float]) {
        switch self {
        case .mnist: return ([0.1307], [0.3081])
        case .fashionMNIST: return ([0.2860], [0.3530])
        case .cifar10: return ([0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261])
        }
    }

    /// The sub-folder the standard distribution uses.
    var folderName: String {
        switch self {
        case .mnist: return "mnist"
        case .fashionMNIST: return "fashion-mnist"
        case .cifar10: return "cifar-10-batches-bin"
        }
    }

    /// The name shown in a dataset's description.
    var title: String {
        switch self {
        case .mnist: return "MNIST"
        case .fashionMNIST: return "Fashion-MNIST"
        case .cifar10: return "CIFAR-10"
        }
    }
}

/// Training or test split.
public enum Split: String, Sendable { case train, test }

/// Loads MNIST and CIFAR-10 from a data folder, or from the small class-balanced subset embedded
/// in the package when no folder is given.
public enum Datasets {
    /// The data folder named by the `QD_DATA` environment variable, if set.
    public static var environmentFolder: URL? {
        ProcessInfo.processInfo.environment["QD_DATA"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
    }

    /// `kind`'s `split` from `folder` (the folder holding the standard files, or its parent), or the
    /// embedded subset when `folder` is nil. The dataset's name says which data was used.
    /// CIFAR-10 files have no header, so with `requireStandardSize` (the default for a folder) each
    /// batch file must hold the standard 10,000 records.
    public static func load(_ kind: DatasetKind, split: Split, folder: URL? = nil, requireStandardSize: Bool = true) throws -> Dataset {
        let (dir, label): (URL, String)
        if let f = folder {
            let nested = f.appendingPathComponent(kind.folderName)
            dir = FileManager.default.fileExists(atPath: nested.path) ? nested : f
            label = dir.path
        } else {
            guard kind != .fashionMNIST else {
                throw DataError(file: "Fashion-MNIST", "no subset is embedded; give a data folder holding its IDX files")
            }
            guard let embedded = Bundle.module.url(forResource: kind.rawValue, withExtension: nil, subdirectory: "Embedded") else {
                throw DataError(file: "Embedded/\(kind.rawValue)", "the embedded subset is missing from the package resources")
            }
            dir = embedded
            label = "embedded subset"
        }
        let name = "\(kind.title) \(split.rawValue) (\(label))"
        switch kind {
        case .mnist, .fashionMNIST: return try loadIDXImages(dir, split: split, name: name, kind: kind)
        case .cifar10: return try loadCIFAR10(dir, split: split, name: name, standard: folder != nil && requireStandardSize)
        }
    }

    /// The first existing of `base` and `base.gz` in `dir`.
    static func file(_ dir: URL, _ base: String) throws -> URL {
        for candidate in [base + ".gz", base] {
            let u = dir.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: u.path) { return u }
        }
        throw DataError(file: dir.appendingPathComponent(base).path, "missing (looked for \(base) and \(base).gz)")
    }

    /// MNIST or Fashion-MNIST: 28×28 unsigned-byte IDX images and labels under the standard names.
    static func loadIDXImages(_ dir: URL, split: Split, name: String, kind: DatasetKind) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let imageFile = try file(dir, "\(prefix)-images-idx3-ubyte"), labelFile = try file(dir, "\(prefix)-labels-idx1-ubyte")
        let (dims, pixels) = try IDX.parse(readMaybeGzipped(imageFile), rank: 3, file: imageFile.path)
        let (ldims, labelBytes) = try IDX.parse(readMaybeGzipped(labelFile), rank: 1, file: labelFile.path)
        guard dims[1] == 28, dims[2] == 28 else {
            throw DataError(file: imageFile.path, "images are \(dims[1])×\(dims[2]); \(kind.title) images are 28×28")
        }
        guard ldims[0] == dims[0] else {
            throw DataError(file: labelFile.path, "\(ldims[0]) labels for \(dims[0]) images in \(imageFile.lastPathComponent)")
        }
        let labels = labelBytes.map(Int.init)
        if let bad = labels.first(where: { $0 > 9 }) { throw DataError(file: labelFile.path, "label \(bad) is outside 0...9") }
        let (mean, std) = kind.normalization
        let values = pixels.map { (Float($0) / 255 - mean[0]) / std[0] }
        return try Dataset(unchecked: name, images: Tensor(shape: [dims[0], 1, 28, 28], values: values), labels: labels, classes: 10)
    }

    static func loadCIFAR10(_ dir: URL, split: Split, name: String, standard: Bool) throws -> Dataset {
        let bases = split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
        let record = 1 + 3 * 1024
        var labels: [Int] = []
        var values: [Float] = []
        let (mean, std) = DatasetKind.cifar10.normalization
        for base in bases {
            let url = try file(dir, base)
            let bytes = try readMaybeGzipped(url)
            guard bytes.count % record == 0 else {
                throw DataError(file: url.path, "truncated: \(bytes.count) bytes is not a whole number of \(record)-byte records (1 label + 3072 pixels)")
            }
            let n = bytes.count / record
            if standard && n != 10_000 {
                throw DataError(file: url.path, "holds \(n) records; a CIFAR-10 batch file holds 10000")
            }
            for r in 0..<n {
                let label = Int(bytes[r * record])
                guard label < 10 else { throw DataError(file: url.path, "record \(r) has label \(label); CIFAR-10 labels are 0...9") }
                labels.append(label)
                for c in 0..<3 {
                    let start = r * record + 1 + c * 1024
                    for k in 0..<1024 { values.append((Float(bytes[start + k]) / 255 - mean[c]) / std[c]) }
                }
            }
        }
        return try Dataset(unchecked: name, images: Tensor(shape: [labels.count, 3, 32, 32], values: values), labels: labels, classes: 10)
    }
}
