// swift-tools-version:5.10
// qd: a Swift toolkit and notebook-style language for quantum machine learning.
//
// Layers (dependencies point downwards only):
//   qd, qd-bench        thin executables
//   QDSimulator         batched, differentiable statevector simulator
import PackageDescription

let package = Package(
    name: "qd",
    products: [
        .library(name: "QDSimulator", targets: ["QDSimulator"]),
        .executable(name: "qd", targets: ["qd"]),
        .executable(name: "qd-bench", targets: ["qd-bench"]),
    ],
    targets: [
        .target(name: "QDSimulator"),
        .executableTarget(name: "qd"),
        .executableTarget(name: "qd-bench", dependencies: ["QDSimulator"]),
        .testTarget(
            name: "QDSimulatorTests",
            dependencies: ["QDSimulator"],
            resources: [.copy("Fixtures")]
        ),
    ]
)
