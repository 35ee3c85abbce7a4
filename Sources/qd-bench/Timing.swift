import Foundation
import QDLearning

/// Wall-clock timing in the anchors' shape: `warmup` untimed calls, then repeats until both
/// `minReps` calls and `targetSeconds` have passed (or `maxReps`).
struct Timer {
    var warmup = 2
    var minReps = 5
    var maxReps = 200
    var targetSeconds = 1.0

    func measure(_ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while true {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            let t1 = DispatchTime.now().uptimeNanoseconds
            times.append(Double(t1 - t0) / 1e9)
            let elapsed = Double(t1 - start) / 1e9
            if times.count >= maxReps || (times.count >= minReps && elapsed >= targetSeconds) { break }
        }
        return times
    }
}

/// The middle value of `values` (the mean of the two middle ones for an even count); nil when empty.
func median(_ values: [Double]) -> Double? {
    let s = values.sorted()
    guard !s.isEmpty else { return nil }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// The median milliseconds of each phase of a meta-gradient over the timed repetitions.
func phaseMedians(_ phases: ArraySlice<DistillationPhaseTimes>) -> [String: Double] {
    func milliseconds(_ seconds: [Double]) -> Double { (median(seconds) ?? 0) * 1000 }
    return ["inner_steps": milliseconds(phases.map(\.innerSteps)), "real_batch": milliseconds(phases.map(\.realBatch)),
            "meta_gradient": milliseconds(phases.map(\.metaGradient))]
}

/// The CPU's model name from `/proc/cpuinfo` (as the anchors record it), or "unknown": ratios
/// differ from one machine to the next, so every record names its machine.
func cpuModel() -> String {
    let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    let line = info.split(separator: "\n").first { $0.hasPrefix("model name") }
    return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
}

/// Prints one JSON object per line: the record's fields plus reps, min_s, median_s, max_s and the load.
func emit(_ record: [String: Any], times: [Double]) {
    var r = record
    let sorted = times.sorted()
    r["reps"] = times.count
    r["min_s"] = sorted.first
    r["median_s"] = median(times)
    r["max_s"] = sorted.last
    var load = [0.0, 0.0, 0.0]
    getloadavg(&load, 3)
    r["loadavg1"] = load[0]
    let data = try! JSONSerialization.data(withJSONObject: r, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
    fflush(stdout)
}
