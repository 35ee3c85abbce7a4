import Foundation
import QDLanguage

/// The REPL's `:commands`.
enum Command: String, CaseIterable {
    case help, load, run, cells, vars, reset, time, seed, save, quit

    /// The usage line shown by `:help`.
    var usage: String {
        switch self {
        case .help: return ":help [NAME]        this list, or a builtin's signature, doc text and example"
        case .load: return ":load FILE          run a .qd file in this session"
        case .run: return ":run FILE#CELL      run one `# %%` cell of a file (cells count from 1)"
        case .cells: return ":cells FILE         list a file's cells"
        case .vars: return ":vars               the names defined in this session"
        case .reset: return ":reset              forget every name and restart the seed"
        case .time: return ":time EXPR          evaluate and show the wall time"
        case .seed: return ":seed N             set the run's seed"
        case .save: return ":save FILE          write this session's accepted inputs as a script that reproduces it"
        case .quit: return ":quit               leave (Ctrl-D does too)"
        }
    }

    static var names: [String] { allCases.map { ":" + $0.rawValue } }
}
