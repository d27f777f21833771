import FunnelCore

extension Transformer {
    /// What `normalize`, `group(of:)` and `RecordCoding.encode` give the record an access-log
    /// line (or a client event, `view.origin`) would become, made from the line's bytes
    /// (`PageViewFields`) without the record:
    /// its group and its encoding, byte for byte the same. Nil for a line that must take the
    /// record path: a visitor id that is an e-mail address (its keyed hash is made from the
    /// record), a target or host outside ASCII (a record's strings repair invalid UTF-8 and
    /// lower-case hosts beyond ASCII).
    ///
    /// The caller has applied the reader's filters and `IdentityRule` (`allows`) first, as it
    /// does for records. `userAgent` is the line's agent as the record would hold it, made
    /// once by the caller for its bot check.
    public func encode(_ view: PageViewFields, userAgent: String?, positionPrefix: UnsafeBufferPointer<UInt8>, line: Int)
        -> (group: String, data: [UInt8])? {
        let target = view.target
        let parts = view.targetParts
        guard UTF8Validation.isASCII(target) else { return nil }
        // A visitor id stored as a keyed hash (an e-mail or IP address) takes the record's path.
        if let id = view.visitorID, VisitorIdentity.needsStandIn(id) { return nil }

        // The record's host: the target's (an absolute URL), else the `$host` variable's.
        // (A client event without a page or URL has no host, path or query.)
        var host: RecordCoding.Text?
        if view.located, let range = parts.host {
            host = Self.lowercased(UnsafeBufferPointer(rebasing: target[range]))
        } else if view.located, let bytes = view.host {
            guard UTF8Validation.isASCII(bytes) else { return nil }
            let name = URLParts.hostFieldRange(bytes)
            if !name.isEmpty { host = Self.lowercased(UnsafeBufferPointer(rebasing: bytes[name])) }
        }
        var referrerHost: RecordCoding.Text?
        if let referrer = view.referrer, let range = URLParts.hostRange(of: referrer) {
            let bytes = UnsafeBufferPointer(rebasing: referrer[range])
            // A host starting with a digit may be an address in a form of its own (the record
            // path writes it as one: `ClientAddress.dottedQuad(ofHost:)`).
            guard UTF8Validation.isASCII(bytes), bytes.first.map({ $0 &- 0x30 >= 10 }) ?? true else { return nil }
            if URLParts.isHostName(bytes) { referrerHost = Self.lowercased(bytes) }
        }
        var query: RecordCoding.Text?
        if view.located, let range = parts.query {
            switch Self.campaignQuery(bytes: UnsafeBufferPointer(rebasing: target[range])) {
            case .none: query = nil
            case .prefix(let count): query = .bytes(UnsafeBufferPointer(rebasing: target[range.lowerBound..<(range.lowerBound + count)]))
            case .copied(let kept): query = .array(kept)
            }
        }

        // The address as the record would hold it, made only when the MaxMind database
        // needs it (a fingerprint is taken from its bytes).
        let ip = configuration.geo != nil ? view.remoteAddr.map { String(decoding: $0, as: UTF8.self) } : nil
        var visitorKey: RecordCoding.Text?
        var fingerprint: String?
        if let id = view.visitorID {
            visitorKey = .bytes(id)
        } else if let address = view.remoteAddr, !address.isEmpty {
            let made = identity.fingerprint(ip: address, userAgent: userAgent)
            fingerprint = made
            visitorKey = .string(made)
        }

        var pageView = RecordCoding.PageView(
            timestamp: view.timestamp, positionPrefix: positionPrefix, line: line,
            path: parts.path.isEmpty ? .string("/") : .bytes(UnsafeBufferPointer(rebasing: target[parts.path])))
        pageView.origin = view.origin
        pageView.client = view.client
        pageView.sessionID = view.sessionID.map { .bytes($0) }
        pageView.visitorID = view.visitorID.map { .bytes($0) }
        pageView.host = host
        pageView.query = query
        pageView.visitorKey = visitorKey
        pageView.referrerHost = referrerHost
        if let agent = userAgent, !agent.isEmpty {
            let info = agents.classify(agent)
            pageView.deviceType = .string(info.deviceType.rawValue)
            pageView.browser = .string(info.browser.rawValue)
        }
        pageView.country = view.country.map { .string($0) }
        // A page view has no city, so the database is asked whatever its country.
        if let ip, !ip.isEmpty, let geo = configuration.geo?.lookup(ip: ip) {
            pageView.geoCountry = geo.countryCode.map { .string($0) }
            pageView.geoCity = geo.city.map { .string($0) }
        }

        let group: String
        if let session = view.sessionID {
            group = Self.tagged(UInt8(ascii: "s"), bytes: session)
        } else if let id = view.visitorID {
            group = Self.tagged(UInt8(ascii: "v"), bytes: id)
        } else {
            group = Self.group(ofVisitor: fingerprint ?? "")
        }
        return (group, RecordCoding.encode(pageView: &pageView))
    }

    /// ASCII bytes in lower case: the bytes themselves when they have no capital (nearly
    /// always), else a lower-cased copy (what `URLParts` does to ASCII).
    private static func lowercased(_ bytes: UnsafeBufferPointer<UInt8>) -> RecordCoding.Text {
        guard bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return .bytes(bytes) }
        return .array(bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 })
    }
}
