import Foundation
import QDSimulator
import QDTensor
import Synchronization

/// The `.qd` interpreter: runs source text against the simulator and the learning engine.
///
/// It is a library, so Swift code can embed it:
///
///     let qd = Interpreter()
///     qd.onDisplay = { print($0.text) }
///     let diagnostics = qd.run(SourceFile(name: "demo.qd", text: "probs(circuit(1) { h 0 })"))
///     let v = try qd.evaluate("1 + 2")      // .int(3)
///
/// State (bindings, the seed stream) persists across `run` calls, as in a notebook.
public final class Interpreter {
    /// Settings fixed for a session.
    public struct Options {
        /// The run's seed; every random draw derives from it.
        public var seed: UInt64 = 0
        /// Where full datasets live (`--data`, or `QD_DATA`); nil uses the embedded subset.
        public var dataFolder: URL?
        /// Threads for the simulator and the tensor kernels (the interpreter sets the process-wide
        /// ``TensorThreads/count`` to it).
        public var threads = ProcessInfo.processInfo.activeProcessorCount
        /// Directory relative file names resolve against (outputs, `import`).
        public var workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        /// Stops each `run` after this many statements and loop iterations (nil: no limit). Fuzz tests
        /// and untrusted scripts use it to bound time.
        public var statementBudget: Int?
        /// The largest circuit a script may build.
        public var maxQubits = Circuit.maxQubits
        /// The largest tensor `zeros`/`ones` may make.
        public var maxTensorElements = 100_000_000

        /// Default options.
        public init() {}
    }

    /// One displayed value or printed line.
    public struct Display {
        /// The notebook text (may span lines).
        public var text: String
        /// The JSON form, for `qd --json`.
        public var json: JSONValue
        /// The source line of the statement that displayed it.
        public var line: Int
    }

    /// The options.
    public let options: Options
    /// Receives every displayed value and printed line, in order.
    public var onDisplay: (Display) -> Void = { print($0.text) }
    /// Receives progress text of long steps (a redrawn bar on a terminal, log lines otherwise), newlines included.
    public var onProgress: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    /// The global scope.
    public let globals = Scope()
    /// The builtin functions, gates and templates.
    public let registry: Registry
    /// The simulator every quantum builtin uses.
    public let simulator: Simulator
    /// Set (from a signal handler, say) to stop a long step at its next safe point.
    public var interruptRequested: Bool {
        get { interrupt.isSet }
        set { newValue ? interrupt.set() : interrupt.clear() }
    }
    /// The flag behind ``interruptRequested``; safe to set from a signal handler.
    public let interrupt = InterruptFlag()

    /// The current seed (the last `seed` statement, or the option).
    public private(set) var seed: UInt64
    private var seedStream: SeededGenerator

    var builders: [CircuitBuilder] = []
    var nextBuilderID = 0
    var nextIdentity = 0
    var callDepth = 0
    var statementsRun = 0
    var trace: [Diagnostic.TraceEntry] = []
    var currentFile = "<input>"
    var currentLine = 0
    private var importing: [String] = []

    /// The deepest user-function recursion accepted.
    public static let maxCallDepth = 200

    /// An interpreter with `options`.
    public init(options: Options = Options()) {
        self.options = options
        seed = options.seed
        seedStream = SeededGenerator(seed: options.seed)
        simulator = Simulator(threads: options.threads)
        TensorThreads.count = options.threads
        registry = Registry.standard()
    }

    /// A file path from a script: absolute, or relative to the working directory.
    public func resolve(_ path: String) -> URL {
        path.hasPrefix("/") ? URL(fileURLWithPath: path) : options.workingDirectory.appendingPathComponent(path).standardizedFileURL
    }

    /// The next seed of the run's stream (for every random thing not given its own seed).
    public func nextSeed() -> UInt64 { seedStream.next() }

    /// Restarts the seed stream from `seed`.
    public func reseed(_ seed: UInt64) {
        self.seed = seed
        seedStream = SeededGenerator(seed: seed)
    }

    // MARK: running

    /// Parses and runs `source`. Returns the diagnostics: every syntax error (nothing runs then), or
    /// the one run-time error that stopped it. Bindings made before an error are kept.
    @discardableResult
    public func run(_ source: SourceFile) -> [Diagnostic] {
        let program: [Stmt]
        do {
            program = try Parser.parse(source)
        } catch let list as DiagnosticList {
            return list.diagnostics
        } catch {
            return [Diagnostic(file: source.name, location: .start, message: "\(error)")]
        }
        let savedFile = currentFile
        currentFile = source.name
        statementsRun = 0
        defer { currentFile = savedFile }
        do {
            try execute(program, in: globals)
            return []
        } catch let d as Diagnostic {
            return [d]
        } catch is ControlFlow {
            return [Diagnostic(file: source.name, location: .start, message: "'return' outside a function")]
        } catch {
            return [Diagnostic(file: source.name, location: .start, message: "\(error)")]
        }
    }

    /// Runs `text` and returns the value of its last statement when that is an expression (`nil`
    /// otherwise), displaying nothing for it. Throws the first ``Diagnostic``.
    public func evaluate(_ text: String, name: String = "<eval>") throws -> Value {
        let source = SourceFile(name: name, text: text)
        var program = try Parser.parse(source)
        let savedFile = currentFile
        currentFile = name
        statementsRun = 0
        defer { currentFile = savedFile }
        var last: Expr?
        if case .expression(let e, _) = program.last?.kind {
            last = e
            program.removeLast()
        }
        try execute(program, in: globals)
        guard let e = last else { return .none }
        return try located(e.location) { try eval(e, globals) }
    }

    // MARK: statements

    enum ControlFlow: Error { case returning(Value) }

    func execute(_ statements: [Stmt], in scope: Scope) throws {
        for s in statements {
            currentLine = s.location.line
            try countStatement(at: s.location)
            if interruptRequested && builders.isEmpty {
                interruptRequested = false
                throw diagnostic("interrupted", at: s.location)
            }
            try located(s.location) { try execute(s, in: scope) }
        }
    }

    /// Charges one statement or loop iteration against the budget.
    func countStatement(at location: SourceLocation) throws {
        statementsRun += 1
        if let budget = options.statementBudget, statementsRun > budget {
            throw diagnostic("the statement budget of \(budget) statements and loop iterations is exhausted", at: location)
        }
    }

    /// Runs `body`, turning a located-less error into a ``Diagnostic`` at `location`.
    func located<T>(_ location: SourceLocation, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as RuntimeError {
            throw diagnostic(e.message, at: e.location ?? location)
        } catch let e as SimulatorError {
            throw diagnostic("\(e)", at: location)
        } catch let d as Diagnostic {
            throw d
        } catch let c as ControlFlow {
            throw c
        } catch {
            throw diagnostic("\(error)", at: location)
        }
    }

    func diagnostic(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(file: currentFile, location: location, message: message, trace: trace.reversed())
    }

    private func execute(_ s: Stmt, in scope: Scope) throws {
        switch s.kind {
        case .expression(let e, let display):
            let v = try eval(e, scope)
            if let b = builders.last, try b.absorb(v, interpreter: self) { return }
            if display, !v.isNone { show(v) }
            if !v.isNone { globals.define("ans", v) }
        case .let(let name, let e):
            scope.define(name, try eval(e, scope))
        case .assign(let target, let e):
            let v = try eval(e, scope)
            try assign(target, v, scope)
        case .function(let name, let params, let body):
            scope.define(name, .function(.user(UserFunction(name: name, parameters: params, body: body, scope: scope, file: currentFile))))
        case .for(let variable, let sequenceExpr, let body):
            let sequence = try eval(sequenceExpr, scope)
            func iteration(_ item: Value) throws {
                try countStatement(at: s.location)
                let inner = Scope(parent: scope)
                inner.define(variable, item)
                try execute(body, in: inner)
            }
            if case .range(let lo, let hi) = sequence {
                // Ranges are not materialised: 0..<10^9 iterates lazily (and stops on Ctrl-C).
                var i = lo
                while i < hi {
                    if interruptRequested { interruptRequested = false; throw diagnostic("interrupted", at: s.location) }
                    try iteration(.int(i))
                    i += 1
                }
            } else {
                for item in try iterate(sequence) { try iteration(item) }
            }
        case .if(let conditionExpr, let then, let otherwise):
            let c = try eval(conditionExpr, scope)
            guard let b = c.asBool else { throw RuntimeError("an 'if' condition must be true or false; got \(c.typeName)", at: conditionExpr.location) }
            if b { try execute(then, in: Scope(parent: scope)) } else if let o = otherwise { try execute(o, in: Scope(parent: scope)) }
        case .return(let e):
            throw ControlFlow.returning(try e.map { try eval($0, scope) } ?? .none)
        case .seed(let e):
            let v = try eval(e, scope)
            guard let n = v.asInt, n >= 0 else { throw RuntimeError("'seed' needs a non-negative integer; got \(v.typeName)", at: e.location) }
            reseed(UInt64(n))
            emit("seed \(n)", json: .object([("type", .string("seed")), ("value", .number(Double(n)))]))
        case .import(let path):
            try importFile(path, at: s.location)
        case .time(let e):
            let start = DispatchTime.now().uptimeNanoseconds
            let v = try eval(e, scope)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if !v.isNone { show(v) }
            emit("time: \(formatDuration(ms))", json: .object([("type", .string("time")), ("milliseconds", .number(ms))]))
        case .param(let name, let shapeExprs, let initExpr):
            guard let b = builders.last else { throw RuntimeError("'param \(name)' declares a trainable circuit parameter; it must be inside circuit(n) { ... }") }
            let shape = try shapeExprs.map { try evalShapeDimension($0, scope) }
            try checkElementCount(shape, what: "param \(name)")
            let initializer = try initExpr.map { try eval($0, scope) }
            scope.define(name, .symbol(try b.declareParameter(name, shape: shape, initializer: initializer, interpreter: self)))
        case .input(let name, let shapeExprs):
            guard let b = builders.last else { throw RuntimeError("'input \(name)' declares per-sample circuit inputs; it must be inside circuit(n) { ... }") }
            let shape = try shapeExprs.map { try evalShapeDimension($0, scope) }
            try checkElementCount(shape, what: "input \(name)")
            scope.define(name, .symbol(try b.declareInput(name, shape: shape)))
        case .gate(let g):
            try executeGate(g, scope, at: s.location)
        }
    }

    private func evalShapeDimension(_ e: Expr, _ scope: Scope) throws -> Int {
        let v = try eval(e, scope)
        guard let n = v.asInt, (1...1_000_000).contains(n) else {
            throw RuntimeError("a shape dimension must be an integer in 1...1000000; got \(v.asDouble.map(formatNumber) ?? v.typeName)", at: e.location)
        }
        return n
    }

    /// Throws unless a tensor of `shape` has at most ``Options/maxTensorElements`` elements, the
    /// product taken without overflowing; `what` names the tensor in the message.
    func checkElementCount(_ shape: [Int], what: String) throws {
        guard let total = Tensor<Double>.elementCount(shape), total <= options.maxTensorElements else {
            throw RuntimeError("\(what): \(shape) has more than \(options.maxTensorElements) elements")
        }
    }

    func iterate(_ v: Value) throws -> [Value] {
        switch v {
        case .range(let lo, let hi): return (lo..<max(lo, hi)).map { .int($0) }
        case .list(let items): return items
        case .tensor(let t) where !t.shape.isEmpty: return try (0..<t.shape[0]).map { try indexValue(v, [.int($0)]) }
        default: throw RuntimeError("'for' iterates over a range, list or tensor; got \(v.typeName)")
        }
    }

    private func assign(_ target: Expr, _ v: Value, _ scope: Scope) throws {
        switch target.kind {
        case .name(let name):
            guard scope.assign(name, v) else {
                throw RuntimeError("cannot assign to '\(name)': it is not defined; write 'let \(name) = ...' to define it", at: target.location)
            }
        case .index(let base, let indices):
            guard case .name(let name) = base.kind, let old = scope.lookup(name) else {
                throw RuntimeError("only an element of a named list or tensor can be assigned", at: target.location)
            }
            let idx = try indices.map { try eval($0, scope) }
            _ = scope.assign(name, try setIndex(old, idx, v))
        default:
            throw RuntimeError("only a name or an indexed name can be assigned to", at: target.location)
        }
    }

    private func importFile(_ path: String, at location: SourceLocation) throws {
        let base = currentFile.hasPrefix("<") ? options.workingDirectory : URL(fileURLWithPath: currentFile).deletingLastPathComponent()
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
        guard !importing.contains(url.path) else { throw RuntimeError("import cycle: \(url.path) is already being imported") }
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw RuntimeError("import: cannot read '\(path)' (looked for \(url.path))")
        }
        importing.append(url.path)
        defer { importing.removeLast() }
        let source = SourceFile(name: url.path, text: text)
        let program: [Stmt]
        do { program = try Parser.parse(source) } catch let list as DiagnosticList {
            throw list.diagnostics[0]
        }
        let savedFile = currentFile
        currentFile = source.name
        defer { currentFile = savedFile }
        try execute(program, in: globals)
    }

    // MARK: output

    /// Displays a value as a notebook would.
    public func show(_ v: Value) {
        emit(Display.text(v), json: JSONEncoding.json(v))
    }

    /// Emits one display event.
    public func emit(_ text: String, json: JSONValue) {
        onDisplay(Display(text: text, json: json, line: currentLine))
    }
}

/// A flag that a signal handler may set (a lock-free atomic) and the interpreter polls.
public final class InterruptFlag: @unchecked Sendable {
    private let value = Atomic<Bool>(false)

    /// A cleared flag.
    public init() {}

    /// Requests an interrupt.
    public func set() { value.store(true, ordering: .relaxed) }
    /// Withdraws the request.
    public func clear() { value.store(false, ordering: .relaxed) }
    /// Whether an interrupt is requested.
    public var isSet: Bool { value.load(ordering: .relaxed) }
}

func formatDuration(_ ms: Double) -> String {
    ms < 1 ? String(format: "%.1f µs", ms * 1000) : ms < 1000 ? String(format: "%.2f ms", ms) : String(format: "%.2f s", ms / 1000)
}
