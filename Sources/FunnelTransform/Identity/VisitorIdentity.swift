import Crypto
import FunnelCore

/// Visitor keys and derived session ids (SPEC 4).
///
/// A visitor without an id cookie is known by `fp` + 16 hex digits of
/// HMAC-SHA256(salt, ip + "|" + user agent): stable across runs, and neither the IP nor the
/// agent can be read back from it. Fingerprints are cached per (ip, agent) pair.
public final class VisitorIdentity {
    private let key: SymmetricKey
    private var cache: [String: String] = [:]

    public init(salt: String) {
        key = SymmetricKey(data: Array(salt.utf8))
    }

    public func fingerprint(ip: String, userAgent: String?) -> String {
        let message = ip + "|" + (userAgent ?? "")
        if let cached = cache[message] { return cached }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)
        let result = "fp" + Self.hex(mac.prefix(8))
        if cache.count > 1_000_000 { cache.removeAll(keepingCapacity: true) }
        cache[message] = result
        return result
    }

    /// 16 hex digits of HMAC-SHA256(salt, text): a stable stand-in for a value that must not
    /// be stored (an e-mail address used as visitor id).
    public func keyedHash(_ text: String) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key).prefix(8))
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
