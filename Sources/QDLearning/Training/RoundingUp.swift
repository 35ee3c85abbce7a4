/// ⌈a / b⌉ for a ≥ 0 and b ≥ 1 (batches in a data set, epochs for some iterations), without the
/// `a + b − 1` that overflows when either is near `Int.max`.
func dividedRoundingUp(_ a: Int, by b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }
