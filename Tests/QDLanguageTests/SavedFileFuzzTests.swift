import Foundation
import QDLanguage
import XCTest

/// No saved file may crash the interpreter: in a checkpoint, distilled data and two models written
/// by a real run, every field (objects' keys, arrays' first and last elements) is set in turn to
/// 2⁶³ − 1, to −1 and to `[-1]`, and the file is loaded and used again; each run must end
/// normally or with diagnostics. Before the checks it exercises, a real batch or an iteration of
/// 2⁶³ − 1, 2⁶³ − 1 layers, an image size of 2⁶³ − 1 and Adam moments of the wrong length stopped
/// the program.
final class SavedFileFuzzTests: XCTestCase {
    /// Every path to a value below the top of `json`, descending into objects and into the first
    /// and last element of arrays.
    private func paths(_ json: Any, _ prefix: [Any] = []) -> [[Any]] {
        var out = prefix.isEmpty ? [] : [prefix]
        if let object = json as? [String: Any] {
            for key in object.keys.sorted() { out += paths(object[key]!, prefix + [key]) }
        } else if let array = json as? [Any], !array.isEmpty {
            for i in Set([0, array.count - 1]).sorted() { out += paths(array[i], prefix + [i]) }
        }
        return out
    }

    /// `json` with the value at `path` replaced by `value`.
    private func replacing(_ json: Any, at path: ArraySlice<Any>, with value: Any) -> Any {
        guard let head = path.first else { return value }
        if var object = json as? [String: Any], let key = head as? String, let child = object[key] {
            object[key] = replacing(child, at: path.dropFirst(), with: value)
            return object
        }
        if var array = json as? [Any], let i = head as? Int {
            array[i] = replacing(array[i], at: path.dropFirst(), with: value)
            return array
        }
        return json
    }

    /// A top-level JSON object written from its members' serialised texts (so that a change to
    /// one member does not re-serialise a model's 61,706 weights).
    private func object(_ members: [(key: String, text: Data)]) -> Data {
        var data = Data("{".utf8)
        for (k, member) in members.enumerated() {
            if k > 0 { data += Data(",".utf8) }
            data += Data("\"\(member.key)\":".utf8) + member.text
        }
        return data + Data("}".utf8)
    }

    func testEveryFieldOfSavedFilesSetToExtremesNeverCrashes() throws {
        let dir = try scratchDirectory("qd-file-fuzz")
        var options = Interpreter.Options()
        options.workingDirectory = dir
        options.threads = 1
        let r = ScriptRunner(options: options)
        XCTAssertEqual(r.run("""
        let data = mnist().take(40)
        let small = data.take(5)
        let d = distill(lenet(), data, batch: 20)
        d.step(2);
        d.save("run.ckpt");
        d.export("distilled.json");
        save(lenet(), "model.json");
        save(qlenet(), "qmodel.json");
        """), [])
        let uses = ["run.ckpt": "let d = resume(\"m.json\", lenet(), data)\nd.step(1);\nd.rates",
                    "distilled.json": "let x = load_distilled(\"m.json\")\nimages(x, file: \"g.png\");\ntrain(lenet(), x);",
                    "model.json": "let m = load_model(\"m.json\")\nevaluate(m, small)",
                    "qmodel.json": "let m = load_model(\"m.json\")\nevaluate(m, small)"]
        let extremes: [Any] = [Int.max, -1, [-1]]
        var runs = 0
        for name in uses.keys.sorted() {
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent(name))) as? [String: Any])
            let keys = json.keys.sorted()
            let texts = try keys.map { try JSONSerialization.data(withJSONObject: json[$0]!, options: .fragmentsAllowed) }
            for path in paths(json) {
                let k = keys.firstIndex(of: path[0] as! String)!
                for value in extremes {
                    var members: [(key: String, text: Data)] = zip(keys, texts).map { ($0, $1) }
                    let changed = replacing(json[keys[k]]!, at: path.dropFirst(), with: value)
                    members[k].text = try JSONSerialization.data(withJSONObject: changed, options: .fragmentsAllowed)
                    try object(members).write(to: dir.appendingPathComponent("m.json"))
                    _ = r.run(uses[name]!)
                    runs += 1
                }
            }
        }
        XCTAssertGreaterThan(runs, 300, "every field of the four files, three values each")
    }
}
