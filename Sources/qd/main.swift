// The `qd` command: runs .qd scripts, or the REPL.
import Foundation
import QDLanguage
import QDRepl

let version = "0.2.0"
let usage = """
qd \(version): quantum machine learning and dataset distillation in Swift

usage: qd [options] [FILE.qd]

  (no file)        start the REPL on a terminal; read a script from standard input otherwise
  FILE.qd          run a script
  -i FILE.qd       run a script, then stay in the REPL with its state
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
var interactive = false
var file: String?
var arguments = CommandLine.arguments.dropFirst()
if let env = ProcessInfo.processInfo.environment["QD_DATA"], !env.isEmpty { options.dataFolder = URL(fileURLWithPath: env) }
while let a = arguments.popFirst() {
    switch a {
    case "-h", "--help": print(usage); exit(0)
    case "--version": print("qd \(version)"); exit(0)
    case "--json": json = true
    case "-i": interactive = true
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

let terminal = isatty(STDIN_FILENO) != 0
if interactive && file == nil { fail("-i needs a script file: qd -i FILE.qd") }
if json && file == nil && terminal { fail("--json needs a script file (or a script on standard input)") }

let interpreter = Interpreter(options: options)
interpreter.onDisplay = { d in
    print(json ? d.json.serialized : d.text)
    fflush(stdout)
}

/// Runs one source; reports its diagnostics; returns whether it succeeded.
func runScript(_ source: SourceFile) -> Bool {
    let diagnostics = interpreter.run(source)
    for d in diagnostics {
        FileHandle.standardError.write(Data((d.rendered(source: source) + "\n").utf8))
    }
    return diagnostics.isEmpty
}

func readStandardInput() -> SourceFile {
    SourceFile(name: "<stdin>", text: String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self))
}

if let file, file != "-" {
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { fail("cannot read '\(file)'") }
    let ok = runScript(SourceFile(name: file, text: text))
    guard interactive else { exit(ok ? 0 : 1) }
}
if !terminal {
    // Piped input behaves exactly like a script: no readline, no prompts.
    exit(runScript(readStandardInput()) ? 0 : 1)
}
Repl.version = version
exit(Repl(interpreter: interpreter, historyPath: Repl.defaultHistoryPath).run())
