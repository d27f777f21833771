import CMaxMindDB
import FunnelCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Country and city by IP address from a MaxMind DB file (SPEC 6): GeoLite2 / GeoIP2 City or
/// Country, or DB-IP's "lite" databases, which use the same `country.iso_code` and
/// `city.names.en` paths.
///
/// The file is memory-mapped once and its search tree checked node by node (a few tens of
/// milliseconds for a full GeoLite2-City), so every problem with the file (missing, not a
/// MaxMind DB, cut short, damaged) is a `GeoError` from `init`, not wrong answers later.
/// Lookups never throw: text that is not an IPv4 or IPv6 address, an address the database does
/// not cover, and a lookup that trips over damaged data all give nil (the last is counted in
/// `lookupErrors`).
///
/// Logs repeat the same addresses, so results are cached per IP text, at most `cacheCapacity`
/// of them (two generations of half of it each). Not thread-safe: one transformer owns one
/// database.
public final class GeoDatabase {
    public let path: String
    /// The metadata's `database_type`, e.g. `GeoLite2-City` or `DBIP-City-Lite`.
    public let databaseType: String
    /// Lookups that failed because the database is damaged (not: address not found).
    public private(set) var lookupErrors = 0

    private let mmdb: UnsafeMutablePointer<MMDB_s>
    private let countryPath: LookupPath
    private let cityPath: LookupPath
    /// Results by IP text (nil: a cached miss), recent addresses only.
    private var cache: RecentCache<GeoLocation?>

    public init(path: String, cacheCapacity: Int = 100_000) throws(GeoError) {
        try Self.checkFile(path)
        let mmdb = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        mmdb.initialize(to: MMDB_s())
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), mmdb)
        let savedErrno = errno
        guard status == MMDB_SUCCESS else {
            // On failure libmaxminddb has already released what it allocated.
            mmdb.deallocate()
            throw Self.openError(path: path, status: status, errno: savedErrno)
        }
        var badNode: UInt32 = 0
        let treeStatus = funnel_mmdb_verify_tree(mmdb, &badNode)
        guard treeStatus == MMDB_SUCCESS else {
            MMDB_close(mmdb)
            mmdb.deallocate()
            throw GeoError(
                .corrupt, path: path,
                reason: "libmaxminddb: \(String(cString: MMDB_strerror(treeStatus))) at node \(badNode)",
                problem: "is damaged", remedy: Self.remedyDownload)
        }
        self.path = path
        self.mmdb = mmdb
        databaseType = mmdb.pointee.metadata.database_type.map { String(cString: $0) } ?? ""
        countryPath = LookupPath(["country", "iso_code"])
        cityPath = LookupPath(["city", "names", "en"])
        cache = RecentCache(entryLimit: max(1, cacheCapacity / 2), byteLimit: 4 << 20)
    }

    deinit {
        MMDB_close(mmdb)
        mmdb.deallocate()
    }

    /// The country and city of `ip` (`81.2.69.142`, `2001:db8::1`, `::ffff:81.2.69.142`), or nil
    /// when the text is not an address or the database knows neither.
    public func lookup(ip: String) -> GeoLocation? {
        cache.value(for: ip) { resolve(ip) }
    }

    private func resolve(_ ip: String) -> GeoLocation? {
        guard let address = Self.lookupText(ip) else { return nil }
        var gaiError: Int32 = 0
        var mmdbError: Int32 = 0
        let result = MMDB_lookup_string(mmdb, address, &gaiError, &mmdbError)
        guard gaiError == 0 else { return nil }
        guard mmdbError == MMDB_SUCCESS else {
            // An IPv6 address in an IPv4-only database is simply not covered.
            if mmdbError != MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR { lookupErrors += 1 }
            return nil
        }
        guard result.found_entry else { return nil }
        var entry = result.entry
        let country = string(&entry, at: countryPath).flatMap(Self.countryCode)
        let city = string(&entry, at: cityPath).flatMap { $0.isEmpty ? nil : $0 }
        if country == nil && city == nil { return nil }
        return GeoLocation(countryCode: country, city: city)
    }

    private func string(_ entry: inout MMDB_entry_s, at path: LookupPath) -> String? {
        var bytes: UnsafePointer<CChar>?
        var length: UInt32 = 0
        let status = funnel_mmdb_string(&entry, path.pointers, &bytes, &length)
        guard status == MMDB_SUCCESS else {
            lookupErrors += 1
            return nil
        }
        guard let bytes else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }

    /// The database's code read as a record's is (`CountryCode`): an assigned code, `UK` as
    /// `GB`; `ZZ`, `EU` and the like are none (until 2026-12-06 any two letters were written;
    /// a review).
    private static func countryCode(_ text: String) -> String? {
        CountryCode.normalize(text)
    }

    /// The text to hand to libmaxminddb, or nil when `ip` is not a plain IPv4 or IPv6 address.
    ///
    /// Checked with `inet_pton` first because `MMDB_lookup_string` goes through `getaddrinfo`,
    /// which also takes `127.1`, `0x7f.0.0.1` and `fe80::1%eth0`. An IPv4-mapped IPv6 address
    /// (`::ffff:1.2.3.4`) is looked up as the IPv4 address: not every database aliases
    /// `::ffff:0:0/96` to its IPv4 tree, and an IPv4-only database has no IPv6 tree at all.
    static func lookupText(_ ip: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, ip, &v4) == 1 { return ip }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, ip, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map { String($0) }.joined(separator: ".")
        }
        return ip
    }
}

// MARK: - Opening

extension GeoDatabase {
    private static let remedyPath =
        "check the path in the pipeline file, or remove it to leave country and city out"
    private static let remedyDownload =
        "download the database again (GeoLite2-City.mmdb, GeoLite2-Country.mmdb or dbip-city-lite.mmdb)"

    /// What `MMDB_open` reports badly or not at all: a missing file or a folder.
    private static func checkFile(_ path: String) throws(GeoError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw GeoError(.missing, path: path, reason: systemReason(code), problem: "does not exist", remedy: remedyPath)
            }
            throw GeoError(.unreadable, path: path, reason: systemReason(code), problem: "cannot be read", remedy: remedyPath)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
            throw GeoError(
                .unreadable, path: path, reason: "it is a folder", problem: "is not a file",
                remedy: "name the .mmdb file itself, not its folder")
        }
        if info.st_size == 0 {
            throw GeoError(.notMaxMindDB, path: path, reason: "0 bytes", problem: "is empty", remedy: remedyDownload)
        }
    }

    private static func openError(path: String, status: Int32, errno code: Int32) -> GeoError {
        let library = "libmaxminddb: " + String(cString: MMDB_strerror(status))
        switch status {
        case MMDB_FILE_OPEN_ERROR, MMDB_IO_ERROR:
            let reason = code == 0 ? library : "\(library): \(systemReason(code))"
            let kind: GeoError.Kind = code == ENOENT ? .missing : .unreadable
            return GeoError(kind, path: path, reason: reason, problem: "cannot be read", remedy: remedyPath)
        case MMDB_INVALID_METADATA_ERROR, MMDB_UNKNOWN_DATABASE_FORMAT_ERROR:
            if isCompressed(path) {
                return GeoError(
                    .notMaxMindDB, path: path, reason: library, problem: "is compressed, not a MaxMind DB",
                    remedy: "unpack it first (tar xzf for .tar.gz, gunzip for .mmdb.gz) and name the .mmdb inside")
            }
            return GeoError(
                .notMaxMindDB, path: path, reason: library, problem: "is not a MaxMind DB (.mmdb) file or is cut short",
                remedy: remedyDownload)
        case MMDB_OUT_OF_MEMORY_ERROR:
            return GeoError(.unreadable, path: path, reason: library, problem: "cannot be loaded", remedy: "free some memory and run again")
        default:
            return GeoError(.corrupt, path: path, reason: library, problem: "is damaged or cut short", remedy: remedyDownload)
        }
    }

    /// gzip (`.mmdb.gz`, `.tar.gz`) magic: the usual way a download reaches us unpacked.
    private static func isCompressed(_ path: String) -> Bool {
        guard let file = fopen(path, "rb") else { return false }
        defer { fclose(file) }
        var magic: [UInt8] = [0, 0]
        return fread(&magic, 1, 2, file) == 2 && magic == [0x1F, 0x8B]
    }

    private static func systemReason(_ code: Int32) -> String {
        strerror(code).map { String(cString: $0) } ?? "error \(code)"
    }
}

// MARK: - Helpers

extension GeoDatabase {
    /// A lookup path as the NULL-terminated array of C strings `MMDB_aget_value` takes, alive
    /// as long as the database.
    private final class LookupPath {
        let pointers: [UnsafePointer<CChar>?]

        init(_ keys: [String]) {
            pointers = keys.map { UnsafePointer(strdup($0)!) } + [nil]
        }

        deinit {
            for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) }
        }
    }
}
