import FunnelCore
@testable import FunnelPipeline
import Testing

/// Text from input printed on a terminal line escapes what a terminal acts on.
struct TerminalTextTests {
    @Test(arguments: [
        ("plain Köln 🎬", "plain Köln 🎬"),
        ("a\nb\rc\td", "a\\nb\\rc\\td"),
        ("\u{1B}[2J", "\\u001b[2J"),
        ("\u{7F}", "\\u007f"),
        ("\u{9B}2J\u{9D}0;title\u{9C}", "\\u009b2J\\u009d0;title\\u009c"),
        ("\u{85}x\u{2028}y\u{2029}", "\\u0085x\\u2028y\\u2029"),
        ("\u{202E}gnp.exe\u{2066}", "\\u202egnp.exe\\u2066"),
        ("\u{A0}\u{200B}", "\u{A0}\u{200B}"),
    ])
    func controlsAreEscaped(_ text: String, _ shown: String) {
        #expect(TerminalText.oneLine(text) == shown)
    }
}


/// The text summary shows a file name from input on its own line, escaped (a file named with
/// ESC or a line break was printed raw; a review).
struct SummaryTerminalTextTests {
    @Test func aFileNamedWithControlsIsEscaped() {
        var summary = RunSummary()
        summary.missingInputs = ["logs/\u{1B}]0;owned\u{7}\nexit status  0.log"]
        let text = summary.text
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(text.contains("logs/\\u001b]0;owned\\u0007\\nexit status  0.log matched no file"), "\(text)")
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("exit status") }.isEmpty)
    }
}
