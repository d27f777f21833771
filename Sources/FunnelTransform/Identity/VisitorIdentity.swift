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

    public init(salt: String) {
        keyed = HMAC<SHA256>(key: SymmetricKey(data: Array(salt.utf8)))
    }

    public func fingerprint(ip: String, userAgent: String?) -> String {
        let message = ip + "|" + (userAgent ?? "")
        return cache.value(for: message) { "fp" + Self.hex(mac(message).prefix(8)) }
    }

    /// (ip, agent) pairs the fingerprint cache holds (for tests).
    var cachedPairCount: Int { cache.count }

    /// 16 hex digits of HMAC-SHA256(salt, text): a stable stand-in for a value that must not
    /// be stored (an e-mail address used as visitor id).
    public func keyedHash(_ text: String) -> String {
        Self.hex(mac(text).prefix(8))
    }

    /// What an id holding an `@` (an e-mail address, SPEC 11) is stored as, visitor id and
    /// client session id alike: `em` + the keyed hash of the id in lower case, stable across
    /// runs and never the address.
    public func standIn(forAddressID id: String) -> String {
        "em" + keyedHash(id.lowercased())
    }

    private func mac(_ text: String) -> HMAC<SHA256>.MAC {
        var mac = keyed
        mac.update(data: Array(text.utf8))
        return mac.finalize()
    }

    /// The id of a session started without a client id: 16 hex digits of
    /// SHA-256(visitorKey + "|" + startMillis), so re-runs give the same id.
    public static func sessionID(visitorKey: String, start: Int64) -> String {
        let digest = SHA256.hash(data: Array((visitorKey + "|" + String(start)).utf8))
        return hex(digest.prefix(8))
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
