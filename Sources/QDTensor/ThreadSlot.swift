import Foundation

/// A pointer per thread, in a pthread key, set for the length of a closure and restored after:
/// cheap enough to read on every tensor operation (Foundation's thread dictionary costs a string
/// bridge per read). The gradient mode, the backward pass's needed nodes and ``TensorThreads``'
/// "inside a task" mark live in slots.
struct ThreadSlot: Sendable {
    private let key: pthread_key_t

    /// A new slot, nil on every thread; `purpose` names it if the process has run out of keys.
    init(_ purpose: String) {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no pthread key left for \(purpose)")
        self.key = key
    }

    /// This thread's value.
    var value: UnsafeRawPointer? { pthread_getspecific(key).map(UnsafeRawPointer.init) }

    /// Runs `body` with `value` as this thread's value, then restores the previous one.
    func with<R>(_ value: UnsafeRawPointer?, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, value)
        defer { pthread_setspecific(key, previous) }
        return try body()
    }
}
