// The `qd` command. Until the language lands it prints its usage and version.
import Foundation

let version = "0.1.0"
let usage = """
qd \(version): quantum machine learning and dataset distillation in Swift

usage: qd [--help | --version]

The .qd language and its REPL are not built yet; the simulator is available as
the QDSimulator library and measured by `qd-bench`.
"""

let args = CommandLine.arguments.dropFirst()
switch args.first {
case "--version": print("qd \(version)")
case nil, "--help", "-h": print(usage)
default:
    FileHandle.standardError.write(Data("qd: unknown argument '\(args.first!)'\n\(usage)\n".utf8))
    exit(2)
}
