/// A lexical scope: names bound with `let` (or as function parameters and loop variables), with a
/// parent for lookups. The global scope has no parent; builtins live in the ``Registry``, below it.
public final class Scope {
    private var values: [String: Value] = [:]
    /// Names in definition order (for `:vars`).
    public private(set) var order: [String] = []
    /// The enclosing scope.
    public let parent: Scope?

    /// A scope inside `parent`.
    public init(parent: Scope? = nil) { self.parent = parent }

    /// Binds `name` in this scope (re-binding is allowed, as when a notebook cell is re-run).
    public func define(_ name: String, _ value: Value) {
        if values.updateValue(value, forKey: name) == nil { order.append(name) }
    }

    /// The value bound to `name` here or in an enclosing scope.
    public func lookup(_ name: String) -> Value? { values[name] ?? parent?.lookup(name) }

    /// Rebinds an existing `name` in the innermost scope holding it; false when none does.
    public func assign(_ name: String, _ value: Value) -> Bool {
        if values[name] != nil { values[name] = value; return true }
        return parent?.assign(name, value) ?? false
    }

    /// Every visible name (for "did you mean" and completion).
    public var allNames: [String] { order + (parent?.allNames ?? []) }

    /// Removes every binding (`:reset`).
    public func removeAll() {
        values.removeAll()
        order.removeAll()
    }
}
