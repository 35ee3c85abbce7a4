/// The number of elements of an array of `sizes` read from a file, or nil when a size is negative
/// or the product overflows an `Int` (a header or shape promising more than any file holds).
func elementCount(_ sizes: [Int]) -> Int? {
    var count = 1
    for size in sizes {
        guard size >= 0 else { return nil }
        let product = count.multipliedReportingOverflow(by: size)
        if product.overflow { return nil }
        count = product.partialValue
    }
    return count
}
