import Crypto
import FunnelCore

/// Visitor keys and derived session ids (SPEC 4).
///
/// A visitor without an id cookie is known by `fp` + 16 hex digits of
/// HMAC-SHA256(salt, ip + "|" + user agent): stable across runs, and neither the IP nor the
/// agent can be read back from it. Fingerprints of recent (ip, agent) pairs are cached: the
/// lines of one visit come close together, and the cache stays a few MiB on any input.
public final class VisitorIdentity {
    /// HMAC state with the salt already absorbed: each fingerprint copies it instead of
    /// hashing the key's two pads again (two SHA-256 blocks per record missing the cache).
    private let keyed: HMAC<SHA256>
    /// 8,192 pairs or 2 MiB of them per generation. (A cache emptied only at a million pairs
    /// grew with the input: 30 MiB of a 3-million-line run's peak.)
    private var cache = RecentCache<String>(entryLimit: 8_192, byteLimit: 2 << 20)

    /// Recent pairs by the hash of the address's bytes and the agent's, in front of `cache`:
    /// a pair found here costs two hashes and two comparisons, where joining `ip|agent` into a
    /// string and looking that up cost about 1,300 instructions (callgrind, 2026-12-05). The
    /// agent is nearly always the very string the user-agent classifier handed out for it, so
    /// comparing it is comparing two references.
    private var slots = RecentSlots<Slot>()

    private struct Slot {
        var ip: [UInt8]
        var agent: String
        var fingerprint: String
    }

    /// At most this many pairs (an address, an agent's reference, an 18-byte fingerprint) are
    /// held in `slots`, beside `cache`'s.
    static var slotCount: Int { RecentSlots<Slot>.count }

    public init(salt: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Array(salt.utf8)))
    }

    public func fingerprint(ip: String, userAgent: String?) -> String {
        var ip = ip
        return ip.withUTF8 { fingerprint(ip: $0, userAgent: userAgent) }
    }

    /// The fingerprint of an address still in bytes (an access-log line's), as the string a
    /// record would hold for them (`String(decoding:as:)`, invalid UTF-8 repaired) gives it.
    public func fingerprint(ip: UnsafeBufferPointer<UInt8>, userAgent: String?) -> String {
        var agent = userAgent ?? ""
        let hash = agent.withUTF8 { RecentSlots<Slot>.hash($0, after: RecentSlots<Slot>.hash(ip)) }
        if let found = slots.entry(for: hash, where: { $0.agent == agent && $0.ip.withUnsafeBufferPointer { sameBytes($0, ip) } }) {
            return found.fingerprint
        }
        let message = String(decoding: ip, as: UTF8.self) + "|" + agent
        let made = cache.value(for: message) { Self.hex(mac(message), after: "fp") }
        slots.store(Slot(ip: Array(ip), agent: agent, fingerprint: made), for: hash)
        return made
    }

    /// (ip, agent) pairs the fingerprint cache holds (for tests).
    var cachedPairCount: Int { cache.count }

    /// 16 hex digits of HMAC-SHA256(salt, text): a stable stand-in for a value that must not
    /// be stored (an e-mail address used as visitor id).
    public func keyedHash(_ text: String) -> String {
        Self.hex(mac(text))
    }

    /// What an id holding an `@` (an e-mail address, SPEC 11) is stored as, visitor id and
    /// client session id alike: `em` + the keyed hash of the id in lower case, stable across
    /// runs and never the address; an id that holds an IP address (`IPRedaction.containsAddress`),
    /// `ip` + its keyed hash.
    public func standIn(forAddressID id: String) -> String {
        (IPRedaction.containsAddress(id) ? "ip" : "em") + keyedHash(id.lowercased())
    }

    /// What a client session id that may be an address is written as: `standIn(forAddressID:)`
    /// of the id as it came, not lower-cased. Lower-cased, two client sessions of one visitor
    /// whose ids differed only in case (`Fan@Example.org`, `fan@example.org`) got one id, and
    /// one of them was lost from the outputs (a review, 2026-12-05). An id in lower case keeps
    /// the stand-in it had; one with capitals gets a new one (the old is deleted when its
    /// visitor is rebuilt, as a session's changed id is).
    public func standIn(forSessionID id: String) -> String {
        (IPRedaction.containsAddress(id) ? "ip" : "em") + keyedHash(id)
    }

    /// Whether an id is stored as `standIn(forAddressID:)` rather than as it is: an e-mail
    /// address (`EmailRedaction.mayBeAddress`) or one that holds an IP address anywhere
    /// (`IPRedaction.containsAddress`: a forwarded list `198.51.100.7,203.0.113.9`, a zone).
    public static func needsStandIn(_ id: String) -> Bool {
        var id = id
        return id.withUTF8 { needsStandIn($0) }
    }

    /// `needsStandIn(_:)` of an id still in a line's bytes.
    public static func needsStandIn(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        EmailRedaction.mayBeAddress(bytes) || IPRedaction.containsAddress(bytes)
    }

    private func mac(_ text: String) -> HMAC<SHA256>.MAC {
        var mac = keyed
        var text = text
        text.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return mac.finalize()
    }

    /// The id of a session started without a client id: 16 hex digits of
    /// SHA-256(visitorKey + "|" + startMillis), so re-runs give the same id.
    public static func sessionID(visitorKey: String, start: Int64) -> String {
        let digest = SHA256.hash(data: Array((visitorKey + "|" + String(start)).utf8))
        return hex(digest)
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The first eight bytes in hex after `head` (ASCII), written into the string at once:
    /// a fingerprint is made for every new (ip, agent) pair.
    static func hex(_ bytes: some Sequence<UInt8>, after head: StaticString = "") -> String {
        String(unsafeUninitializedCapacity: head.utf8CodeUnitCount + 16) { out in
            var count = 0
            head.withUTF8Buffer { for byte in $0 { out[count] = byte; count += 1 } }
            for byte in bytes.prefix(8) {
                out[count] = digits[Int(byte >> 4)]
                out[count + 1] = digits[Int(byte & 15)]
                count += 2
            }
            return count
        }
    }
}
