import FunnelCore
import Testing

/// SPEC 11: ids from input are 1 to 128 bytes of printable ASCII without spaces or braces.
struct IdentifierTests {
    @Test func theRuleHoldsForEveryByteAndTheLengthLimits() {
        for byte in UInt8(0)...UInt8(127) {
            let allowed = byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "{") && byte != UInt8(ascii: "}")
            let id = "ab" + String(decoding: [byte], as: UTF8.self) + "cd"
            #expect(Identifier.isValid(id) == allowed, "byte \(byte)")
        }
        #expect(!Identifier.isValid(""))
        #expect(Identifier.isValid("x"))
        #expect(Identifier.isValid(String(repeating: "x", count: 128)))
        #expect(!Identifier.isValid(String(repeating: "x", count: 129)))
        #expect(!Identifier.isValid("café"))
        #expect(!Identifier.isValid("id\u{0}"))
    }

    /// Every placeholder word in any case, and none of the ids beside them (rv76a).
    @Test func placeholdersAreKnownInAnyCaseAndNothingElse() {
        for word in ["undefined", "NULL", "None", "nil", "NaN", "(null)", "[object Object]", "deleted", "N/A", "Unknown", "0", "-"] {
            #expect(Identifier.isPlaceholder(word), "\(word)")
        }
        for id in ["undefine", "nulls", "v-1", "00", "--", "unknowns", "1", "deleteD1", "abc", "nul1", "[object objecT]x", ""] {
            #expect(!Identifier.isPlaceholder(id), "\(id)")
        }
    }
}
