#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes small MaxMind DB (format 2.0) files at test time, so tests of the geo lookup need no
/// third-party database in the repository.
///
/// ```swift
/// try MMDBWriter(ipVersion: 6)
///     .insert(network: "203.0.113.0/24", country: "US", city: "Seattle")
///     .insert(network: "2001:db8::/32", country: "JP")
///     .write(to: path)
/// ```
///
/// The file is the three parts the format defines: a binary search tree over the address bits
/// (two records of `recordSize` bits per node; a record is a node number, `nodeCount` for "no
/// data", or `nodeCount + 16 + offset` into the data section), 16 zero bytes, the data section,
/// then `\xAB\xCD\xEFMaxMind.com` and the metadata map.
///
/// In an IPv6 database an IPv4 network goes in twice: at `::a.b.c.d`, where readers look up
/// IPv4 addresses, and at `::ffff:a.b.c.d`, as MaxMind's own databases alias it. A network
/// inserted later wins over what it covers.
public final class MMDBWriter {
    /// A value in the data section.
    public indirect enum Value: Sendable {
        case string(String)
        case uint16(UInt16)
        case uint32(UInt32)
        case uint64(UInt64)
        case double(Double)
        case boolean(Bool)
        case array([Value])
        /// Keys in the given order.
        case map([(String, Value)])
    }

    public let ipVersion: Int
    /// 24, 28 or 32 bits per record.
    public let recordSize: Int
    public var databaseType: String
    public var buildEpoch: UInt64 = 1_704_067_200

    private var tree = Tree()
    /// Data records in insertion order; the tree refers to them by index.
    private var records: [Value] = []

    public init(ipVersion: Int = 6, recordSize: Int = 28, databaseType: String = "Funnel-Test-City") {
        precondition(ipVersion == 4 || ipVersion == 6, "ipVersion is 4 or 6")
        precondition([24, 28, 32].contains(recordSize), "recordSize is 24, 28 or 32")
        self.ipVersion = ipVersion
        self.recordSize = recordSize
        self.databaseType = databaseType
    }

    /// Maps `network` (`203.0.113.0/24`, `2001:db8::/32`, or one address) to the shape GeoIP2
    /// City databases use: `{country: {iso_code}, city: {names: {en}}}`, leaving out what is nil.
    @discardableResult
    public func insert(network: String, country: String?, city: String? = nil) throws(MMDBWriterError) -> MMDBWriter {
        var record: [(String, Value)] = []
        if let city { record.append(("city", .map([("names", .map([("en", .string(city))]))]))) }
        if let country { record.append(("country", .map([("iso_code", .string(country))]))) }
        return try insert(network: network, record: .map(record))
    }

    /// Maps `network` to any data record.
    @discardableResult
    public func insert(network: String, record: Value) throws(MMDBWriterError) -> MMDBWriter {
        let (bits, prefix) = try Self.parse(network)
        let index = records.count
        records.append(record)
        if bits.count == 32 {
            switch ipVersion {
            case 4:
                tree.insert(bits, prefix: prefix, data: index)
            default:
                tree.insert(Array(repeating: false, count: 96) + bits, prefix: 96 + prefix, data: index)
                tree.insert(Array(repeating: false, count: 80) + Array(repeating: true, count: 16) + bits, prefix: 96 + prefix, data: index)
            }
        } else {
            guard ipVersion == 6 else { throw MMDBWriterError("\(network) is IPv6 but the database is IPv4") }
            tree.insert(bits, prefix: prefix, data: index)
        }
        return self
    }

    /// The whole file.
    public func bytes() throws(MMDBWriterError) -> [UInt8] {
        // Each distinct record is stored once; equal records share an offset.
        var data: [UInt8] = []
        var offsetOfEncoding: [[UInt8]: Int] = [:]
        var offsets: [Int] = []
        for record in records {
            let encoded = record.encoded
            if let offset = offsetOfEncoding[encoded] {
                offsets.append(offset)
            } else {
                offsetOfEncoding[encoded] = data.count
                offsets.append(data.count)
                data += encoded
            }
        }

        let nodes = tree.numbered()
        let nodeCount = nodes.count
        let largest = nodeCount + 16 + data.count
        guard largest < 1 << recordSize else {
            throw MMDBWriterError("\(recordSize)-bit records cannot address \(largest); use a larger recordSize")
        }
        func value(_ link: Tree.Link) -> Int {
            switch link {
            case .empty: nodeCount
            case .node(let number): number
            case .data(let index): nodeCount + 16 + offsets[index]
            }
        }

        var file: [UInt8] = []
        file.reserveCapacity(nodeCount * recordSize / 4 + 16 + data.count + 256)
        for (left, right) in nodes {
            file += Self.node(left: value(left), right: value(right), recordSize: recordSize)
        }
        file += Array(repeating: 0, count: 16)
        file += data
        file += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        file += metadata(nodeCount: nodeCount).encoded
        return file
    }

    public func write(to path: String) throws(MMDBWriterError) {
        let file = try bytes()
        guard let handle = fopen(path, "wb") else {
            throw MMDBWriterError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let written = file.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        let closed = fclose(handle)
        guard written == file.count, closed == 0 else { throw MMDBWriterError("cannot write \(path)") }
    }

    private func metadata(nodeCount: Int) -> Value {
        .map([
            ("binary_format_major_version", .uint16(2)),
            ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(buildEpoch)),
            ("database_type", .string(databaseType)),
            ("description", .map([("en", .string("funnel test database"))])),
            ("ip_version", .uint16(UInt16(ipVersion))),
            ("languages", .array([.string("en")])),
            ("node_count", .uint32(UInt32(nodeCount))),
            ("record_size", .uint16(UInt16(recordSize))),
        ])
    }

    /// One node: two big-endian records. With 28 bits the middle byte holds the high nibble of
    /// the left record, then that of the right one.
    private static func node(left: Int, right: Int, recordSize: Int) -> [UInt8] {
        func bigEndian(_ value: Int, _ count: Int) -> [UInt8] {
            (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
        switch recordSize {
        case 24:
            return bigEndian(left, 3) + bigEndian(right, 3)
        case 28:
            let middle = UInt8((left >> 24) & 0x0F) << 4 | UInt8((right >> 24) & 0x0F)
            return bigEndian(left & 0xFF_FFFF, 3) + [middle] + bigEndian(right & 0xFF_FFFF, 3)
        default:
            return bigEndian(left, 4) + bigEndian(right, 4)
        }
    }

    // MARK: - Networks

    /// The address bits of `network` and its prefix length (all bits for a single address).
    static func parse(_ network: String) throws(MMDBWriterError) -> (bits: [Bool], prefix: Int) {
        let parts = network.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw MMDBWriterError("bad network \(network)") }
        let address = String(parts[0])
        var bytes: [UInt8]
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, address, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            throw MMDBWriterError("bad address in network \(network)")
        }
        let bits: [Bool] = bytes.flatMap { byte -> [Bool] in (0..<8).map { byte & (0x80 >> $0) != 0 } }
        var prefix = bits.count
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits.count).contains(length) else {
                throw MMDBWriterError("bad prefix length in network \(network)")
            }
            prefix = length
        }
        guard !bits[prefix...].contains(true) else {
            throw MMDBWriterError("network \(network) has host bits set after /\(prefix)")
        }
        return (bits, prefix)
    }
}

/// A network or a database the writer cannot write.
public struct MMDBWriterError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Search tree

extension MMDBWriter {
    /// A binary trie over address bits; a record at depth n decides for all addresses that
    /// share those n bits.
    struct Tree {
        enum Link {
            case empty
            case node(Int)
            case data(Int)
        }

        /// Children by node index; index 0 is the root.
        private var children: [[Link]] = [[.empty, .empty]]

        mutating func insert(_ bits: [Bool], prefix: Int, data: Int) {
            guard prefix > 0 else {
                children = [[.data(data), .data(data)]]
                return
            }
            var node = 0
            for depth in 0..<(prefix - 1) {
                let side = bits[depth] ? 1 : 0
                switch children[node][side] {
                case .node(let next):
                    node = next
                case let leaf:
                    // Split: both halves keep what the whole had, then descend.
                    children.append([leaf, leaf])
                    children[node][side] = .node(children.count - 1)
                    node = children.count - 1
                }
            }
            // Whatever sat below is covered by the new network.
            children[node][bits[prefix - 1] ? 1 : 0] = .data(data)
        }

        /// Reachable nodes numbered in breadth-first order (root first), with their links
        /// renumbered to match; subtrees replaced by later inserts are left out.
        func numbered() -> [(Link, Link)] {
            var order = [0]
            var number = [0: 0]
            var next = 0
            while next < order.count {
                for case .node(let child) in children[order[next]] where number[child] == nil {
                    number[child] = order.count
                    order.append(child)
                }
                next += 1
            }
            func renumbered(_ link: Link) -> Link {
                if case .node(let index) = link { return .node(number[index]!) }
                return link
            }
            return order.map { (renumbered(children[$0][0]), renumbered(children[$0][1])) }
        }
    }
}

// MARK: - Data section

extension MMDBWriter.Value {
    /// The data-section bytes: a control byte (type in the top 3 bits, size in the low 5,
    /// types above 7 as 0 plus an extra type byte), size extension bytes, then the payload.
    var encoded: [UInt8] {
        switch self {
        case .string(let text):
            let payload = Array(text.utf8)
            return Self.control(type: 2, size: payload.count) + payload
        case .double(let number):
            let bits = number.bitPattern
            return Self.control(type: 3, size: 8) + (0..<8).reversed().map { UInt8(truncatingIfNeeded: bits >> ($0 * 8)) }
        case .uint16(let number):
            return Self.unsigned(type: 5, UInt64(number))
        case .uint32(let number):
            return Self.unsigned(type: 6, UInt64(number))
        case .uint64(let number):
            return Self.unsigned(type: 9, number)
        case .map(let pairs):
            return Self.control(type: 7, size: pairs.count)
                + pairs.flatMap { MMDBWriter.Value.string($0.0).encoded + $0.1.encoded }
        case .array(let items):
            return Self.control(type: 11, size: items.count) + items.flatMap(\.encoded)
        case .boolean(let flag):
            return Self.control(type: 14, size: flag ? 1 : 0)
        }
    }

    /// Big-endian without leading zero bytes (0 has no payload at all).
    private static func unsigned(type: Int, _ number: UInt64) -> [UInt8] {
        var payload: [UInt8] = []
        var rest = number
        while rest > 0 {
            payload.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        }
        return control(type: type, size: payload.count) + payload
    }

    private static func control(type: Int, size: Int) -> [UInt8] {
        let sizeBits: Int
        let sizeBytes: [UInt8]
        switch size {
        case ..<29:
            sizeBits = size
            sizeBytes = []
        case ..<285:
            sizeBits = 29
            sizeBytes = [UInt8(size - 29)]
        case ..<65_821:
            sizeBits = 30
            sizeBytes = [UInt8((size - 285) >> 8), UInt8((size - 285) & 0xFF)]
        default:
            let rest = size - 65_821
            sizeBits = 31
            sizeBytes = [UInt8(truncatingIfNeeded: rest >> 16), UInt8(truncatingIfNeeded: rest >> 8), UInt8(truncatingIfNeeded: rest)]
        }
        if type <= 7 {
            return [UInt8(type << 5 | sizeBits)] + sizeBytes
        }
        return [UInt8(sizeBits), UInt8(type - 7)] + sizeBytes
    }
}
