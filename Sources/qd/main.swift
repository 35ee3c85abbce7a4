// The `qd` command: runs .qd scripts (and, once the REPL lands, starts it).
import Foundation
import QDLanguage

let version = "0.2.0"
let usage = """
qd \(version): quantum machine learning and dataset distillation in Swift

usage: qd [options] [FILE.qd]

  FILE.qd          run a script (with no file, read the script from standard input)
  --json           print every displayed value as one JSON object per line
  --seed N         the run's seed (default 0); `seed N` in a script overrides it
  --data DIR       folder with the full MNIST / CIFAR-10 files (default: $QD_DATA,
                   else the embedded subset)
  --threads N      threads for the simulator and tensor kernels (default: all cores)
  -h, --help       this text
  --version        the version

Exit status: 0 success, 1 script error, 2 usage error.
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("qd: \(message)\n\nusage: qd [--json] [--seed N] [--data DIR] [FILE.qd]  (qd --help for more)\n".utf8))
    exit(2)
}

var options = Interpreter.Options()
var json = false
var file: String?
var arguments = CommandLine.arguments.dropFirst()
if let env = ProcessInfo.processInfo.environment["QD_DATA"], !env.isEmpty { options.dataFolder = URL(fileURLWithPath: env) }
while let a = arguments.popFirst() {
    switch a {
    case "-h", "--help": print(usage); exit(0)
    case "--version": print("qd \(version)"); exit(0)
    case "--json": json = true
    case "--seed":
        guard let v = arguments.popFirst(), let n = UInt64(v) else { fail("--seed needs a non-negative integer") }
        options.seed = n
    case "--data":
        guard let v = arguments.popFirst() else { fail("--data needs a folder") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: v, isDirectory: &isDirectory), isDirectory.boolValue else { fail("--data \(v): no such folder") }
        options.dataFolder = URL(fileURLWithPath: v)
    case "--threads":
        guard let v = arguments.popFirst(), let n = Int(v), (1...256).contains(n) else { fail("--threads needs an integer in 1...256") }
        options.threads = n
    default:
        if a.hasPrefix("-") && a != "-" { fail("unknown option '\(a)'") }
        guard file == nil else { fail("give one script file; got '\(file!)' and '\(a)'") }
        file = a
    }
}

let source: SourceFile
if let file, file != "-" {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { fail("cannot read '\(file)'") }
    source = SourceFile(name: file, text: text)
    options.workingDirectory = URL(fileURLWithPath: file).deletingLastPathComponent()
} else {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    source = SourceFile(name: "<stdin>", text: String(decoding: data, as: UTF8.self))
}

let interpreter = Interpreter(options: options)
interpreter.onDisplay = { d in
    print(json ? d.json.serialized : d.text)
    fflush(stdout)
}
let diagnostics = interpreter.run(source)
for d in diagnostics {
    FileHandle.standardError.write(Data((d.rendered(source: source) + "\n").utf8))
}
exit(diagnostics.isEmpty ? 0 : 1)
