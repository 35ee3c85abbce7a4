/// Positions of graph nodes, keyed by node identity: the map a backward pass plans with and looks
/// up while it runs (``GraphOrder``, ``BackwardPlan/index(of:)``, the needed-nodes test).
///
/// Open addressing with linear probing over a power-of-two table at most half full; a key's first
/// slot is the top bits of its address times 2⁶⁴/φ (Fibonacci hashing). Entries are never removed.
/// A `Dictionary` keyed by `ObjectIdentifier` hashes every key with SipHash: ordering the
/// meta-gradient's graph of about 4,300 nodes, with one lookup per node and per edge, took 2 to
/// 3 ms before the first backward rule could run, some 40% of it hashing; the rest is the walk
/// over nodes scattered in memory.
struct NodePositions {
    /// The keys' addresses, 0 where a slot is empty.
    private var keys: [UInt]
    private var values: [Int]
    /// 64 − log₂(capacity): how far a product is shifted to give a slot.
    private var shift: Int
    /// How many keys are stored.
    private(set) var count = 0

    /// An empty map with room for `capacity` keys before it grows.
    init(capacity: Int) {
        var slots = 16
        while slots < 2 * capacity { slots *= 2 }
        keys = [UInt](repeating: 0, count: slots)
        values = [Int](repeating: 0, count: slots)
        shift = 64 - slots.trailingZeroBitCount
    }

    /// The position stored for `node`; setting one adds or replaces it (setting nil is not supported).
    subscript(_ node: ObjectIdentifier) -> Int? {
        get {
            let i = slot(of: UInt(bitPattern: node))
            return keys[i] == 0 ? nil : values[i]
        }
        set {
            guard let value = newValue else { preconditionFailure("NodePositions: entries cannot be removed") }
            if 2 * (count + 1) > keys.count { grow() }
            let key = UInt(bitPattern: node), i = slot(of: key)
            if keys[i] == 0 { count += 1 }
            keys[i] = key
            values[i] = value
        }
    }

    /// The slot holding `key`, or the empty slot where it belongs: the probe from its first slot.
    @inline(__always)
    private func slot(of key: UInt) -> Int {
        var slot = firstSlot(key)
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
        return slot
    }

    /// Where the probe for `key` starts: the top log₂(capacity) bits of key · ⌊2⁶⁴/φ⌋.
    @inline(__always)
    private func firstSlot(_ key: UInt) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt(shift))
    }

    /// Doubles the table and places every key again.
    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = [UInt](repeating: 0, count: 2 * oldKeys.count)
        values = [Int](repeating: 0, count: 2 * oldKeys.count)
        shift -= 1
        for (key, value) in zip(oldKeys, oldValues) where key != 0 {
            let i = slot(of: key)
            keys[i] = key
            values[i] = value
        }
    }
}
