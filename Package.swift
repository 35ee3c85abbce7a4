// swift-tools-version:5.10
// qd: a Swift toolkit and notebook-style language for quantum machine learning.
//
// Layers (dependencies point downwards only):
//   qd, qd-bench        thin executables
//   QDRepl              the interactive notebook: GNU readline (CReadline), history, completion, :commands
//   QDLanguage          the .qd language: lexer, parser, AST, interpreter, builtin registry
//   QDLearning          models (LeNet, AlexCifarNet, quantum LeNet), optimisers, training, datasets
//   QDTensor            tensors with reverse-mode autodiff to any order (OpenBLAS via COpenBLAS,
//                       AVX-512 convolution kernels chosen at run time in CWideKernels)
//   QDSimulator         batched, differentiable statevector simulator
import PackageDescription

let package = Package(
    name: "qd",
    products: [
        .library(name: "QDSimulator", targets: ["QDSimulator"]),
        .library(name: "QDTensor", targets: ["QDTensor"]),
        .library(name: "QDLearning", targets: ["QDLearning"]),
        .library(name: "QDLanguage", targets: ["QDLanguage"]),
        .library(name: "QDRepl", targets: ["QDRepl"]),
        .executable(name: "qd", targets: ["qd"]),
        .executable(name: "qd-bench", targets: ["qd-bench"]),
    ],
    targets: [
        .target(name: "QDSimulator"),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .target(name: "CWideKernels"),
        .target(name: "QDTensor", dependencies: ["COpenBLAS", "CMalloc", "CWideKernels"]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "QDLearning", dependencies: ["QDSimulator", "QDTensor", "CZlib"], resources: [.copy("Embedded")]),
        .target(name: "QDLanguage", dependencies: ["QDSimulator", "QDTensor", "QDLearning", "CZlib"]),
        .systemLibrary(name: "CReadline", providers: [.apt(["libreadline-dev"])]),
        .target(name: "QDRepl", dependencies: ["QDLanguage", "CReadline"]),
        .executableTarget(name: "qd", dependencies: ["QDLanguage", "QDRepl"]),
        .executableTarget(name: "qd-bench", dependencies: ["QDSimulator", "QDLearning", "QDTensor"]),
        .testTarget(
            name: "QDSimulatorTests",
            dependencies: ["QDSimulator"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "QDTensorTests", dependencies: ["QDTensor"]),
        .testTarget(name: "QDLanguageTests", dependencies: ["QDLanguage", "QDSimulator", "QDTensor", "CZlib"]),
        .testTarget(name: "QDReplTests", dependencies: ["qd"]),
        .testTarget(name: "QDLearningTests", dependencies: ["QDLearning", "QDTensor", "QDSimulator"], resources: [.copy("Fixtures")]),
    ]
)
