/// Text from input (a value, a file name) made safe to print on a terminal line: a control
/// character a terminal acts on or a line break is written as a JSON-style escape, so that a
/// value cannot clear the screen, set the window's title, move the cursor, reorder the line
/// (bidirectional overrides) or pass for the next line.
public enum TerminalText {
    /// `text` with C0 and C1 controls, DEL, U+2028/U+2029 and the bidirectional embedding,
    /// override and isolate characters escaped (`\n`, `\r`, `\t`, `\u009b`); unchanged when it
    /// holds none. Until 2026-12-06 `funnel inspect` escaped C0 and DEL alone, and printed a
    /// value's C1 CSI/OSC raw, which xterm acts on (a review).
    public static func oneLine(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where needsEscape(scalar):
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
