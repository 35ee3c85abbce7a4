import CReadline
import Foundation
import QDLanguage
import Synchronization

/// Ctrl-C: at the prompt it clears the line being typed (and any continuation lines); during a
/// running entry it asks the interpreter to stop at its next safe point (a distillation stops
/// between iterations, a loop between statements), leaving its state consistent.
enum SignalHandling {
    static let atPrompt = Atomic<Bool>(false)
    static let promptInterrupted = Atomic<Bool>(false)
    nonisolated(unsafe) static var flag: InterruptFlag?

    static func install(_ interrupt: InterruptFlag) {
        flag = interrupt
        _ = atPrompt.load(ordering: .relaxed)
        _ = promptInterrupted.load(ordering: .relaxed)
        signal(SIGINT) { _ in
            if SignalHandling.atPrompt.load(ordering: .relaxed) {
                SignalHandling.promptInterrupted.store(true, ordering: .relaxed)
                // readline has restored the terminal; start a fresh, empty line.
                write(STDOUT_FILENO, "\n", 1)
                rl_replace_line("", 0)
                rl_set_prompt("qd> ")
                rl_on_new_line()
                rl_redisplay()
            } else {
                SignalHandling.flag?.set()
            }
        }
    }
}
