import WireDecoding

/// Where the correlation id of a group came from.
public enum CorrelationSource: String, Sendable {
    /// HEP chunk 0x11.
    case hep
    /// No correlation id: the "uncorrelated" bucket.
    case none
}

/// A test session: everything that carried one correlation id.
public struct CorrelationGroup: Sendable {
    public var correlationID: UInt32   // string id; 0 for the uncorrelated bucket
    public var source: CorrelationSource
    public var calls: [Int32] = []
    /// Non-SIP HEP events (logs, RTCP reports) of this group.
    public var events: [Int32] = []
    public var messageCount = 0
    public var firstTime = Timestamp(nanoseconds: .max)
    public var lastTime = Timestamp(nanoseconds: .min)
}

/// All messages of one Call-ID within one correlation group.
public struct Call: Sendable {
    public var callID: UInt32          // string id
    public var group: UInt32
    public var messages: [Int32] = []
    public var firstTime = Timestamp(nanoseconds: .max)
    public var lastTime = Timestamp(nanoseconds: .min)
}

/// The trace model: correlation groups, their calls, and the messages, built incrementally as
/// decoded messages arrive. Owned by one thread; other threads hand it batches.
public struct TraceStore: Sendable {
    public private(set) var messages: [MessageRecord] = []
    public private(set) var groups: [CorrelationGroup] = []
    public private(set) var calls: [Call] = []
    public private(set) var strings = ByteStringTable()
    public private(set) var endpoints = EndpointTable()
    public private(set) var payloads = PayloadArena()

    private var groupByCorrelation: [UInt32: UInt32] = [:]
    private var callByKey: [CallKey: Int32] = [:]

    private struct CallKey: Hashable {
        var group: UInt32
        var callID: UInt32
    }

    public init() {}

    /// Adds one decoded message or event. O(1) amortised.
    public mutating func add(_ m: DecodedMessage) {
        let correlation: UInt32
        if let cid = m.hep?.correlationID, !cid.isEmpty { correlation = strings.intern(cid) } else { correlation = 0 }
        let groupIndex = group(for: correlation)
        var record = MessageRecord(
            time: m.timestamp, payload: payloads.append(m.payload),
            source: endpoints.id(m.source), destination: endpoints.id(m.destination),
            group: groupIndex, call: -1, cseq: 0, cseqMethod: 0, frame: UInt32(truncatingIfNeeded: m.frameNumber),
            captureID: m.hep?.displayCaptureID ?? 0,
            node: m.hep?.nodeName.map { strings.intern($0) } ?? 0,
            comment: m.frameComment.map { strings.intern($0) } ?? 0,
            status: 0, method: .other, methodText: 0, transport: m.transport, payloadType: m.payloadType,
            hepVersion: m.hep?.version ?? 0, hepIPProtocol: m.hep?.ipProtocol ?? 0)
        let index = Int32(messages.count)
        if let sip = m.sip, let callRange = sip.callID {
            let p = m.payload
            record.cseq = sip.cseqNumber ?? 0
            record.cseqMethod = sip.cseqMethod.map { strings.intern(p.slice($0)) } ?? 0
            switch sip.startLine {
            case .request(let method, let methodRange, _):
                record.method = method
                if method == .other { record.methodText = strings.intern(p.slice(methodRange)) }
            case .response(let status, _):
                record.status = status
            }
            let callID = strings.intern(p.slice(callRange))
            let key = CallKey(group: groupIndex, callID: callID)
            let callIndex: Int32
            if let existing = callByKey[key] {
                callIndex = existing
            } else {
                callIndex = Int32(calls.count)
                calls.append(Call(callID: callID, group: groupIndex))
                callByKey[key] = callIndex
                groups[Int(groupIndex)].calls.append(callIndex)
            }
            record.call = callIndex
            calls[Int(callIndex)].messages.append(index)
            calls[Int(callIndex)].firstTime = min(calls[Int(callIndex)].firstTime, m.timestamp)
            calls[Int(callIndex)].lastTime = max(calls[Int(callIndex)].lastTime, m.timestamp)
        } else {
            groups[Int(groupIndex)].events.append(index)
        }
        groups[Int(groupIndex)].messageCount += 1
        groups[Int(groupIndex)].firstTime = min(groups[Int(groupIndex)].firstTime, m.timestamp)
        groups[Int(groupIndex)].lastTime = max(groups[Int(groupIndex)].lastTime, m.timestamp)
        messages.append(record)
    }

    private mutating func group(for correlation: UInt32) -> UInt32 {
        if let g = groupByCorrelation[correlation] { return g }
        let g = UInt32(groups.count)
        groups.append(CorrelationGroup(correlationID: correlation, source: correlation == 0 ? .none : .hep))
        groupByCorrelation[correlation] = g
        return g
    }

    // MARK: reading

    public func payload(of record: MessageRecord) -> [UInt8] { payloads.bytes(record.payload) }

    public func withPayload<R>(of record: MessageRecord, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        payloads.withBytes(record.payload, body)
    }

    public func methodName(_ r: MessageRecord) -> String? {
        guard r.status == 0 else { return nil }
        return r.method == .other ? strings.string(r.methodText) : r.method.name
    }

    /// "1 INVITE", as the CSeq header says.
    public func cseqText(_ r: MessageRecord) -> String? {
        guard r.cseqMethod != 0 || r.cseq != 0 else { return nil }
        return "\(r.cseq) \(strings.string(r.cseqMethod))"
    }

    public func correlationID(of group: CorrelationGroup) -> String? {
        group.correlationID == 0 ? nil : strings.string(group.correlationID)
    }

    /// Groups in order of their first message (ties: order of arrival).
    public var orderedGroups: [Int] {
        groups.indices.sorted { (groups[$0].firstTime, $0) < (groups[$1].firstTime, $1) }
    }

    /// A group's calls in order of their first message.
    public func orderedCalls(of group: CorrelationGroup) -> [Int32] {
        group.calls.sorted { (calls[Int($0)].firstTime, $0) < (calls[Int($1)].firstTime, $1) }
    }

    /// Message indices by time; ties keep arrival order.
    public func ordered(_ indices: [Int32]) -> [Int32] {
        indices.sorted { (messages[Int($0)].time, $0) < (messages[Int($1)].time, $1) }
    }
}

/// Endpoints interned to small ids, so records stay fixed-size.
public struct EndpointTable: Sendable {
    public private(set) var all: [Endpoint] = []
    private var ids: [Endpoint: UInt32] = [:]

    public init() {}

    public mutating func id(_ e: Endpoint) -> UInt32 {
        if let id = ids[e] { return id }
        let id = UInt32(all.count)
        all.append(e)
        ids[e] = id
        return id
    }

    public subscript(id: UInt32) -> Endpoint { all[Int(id)] }
}

/// Payload bytes of messages, one after another in a single growing buffer (no allocation per
/// message).
public struct PayloadArena: Sendable {
    private var storage: [UInt8] = []

    public init() {}

    public var byteCount: Int { storage.count }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) -> PayloadRef {
        let ref = PayloadRef(offset: storage.count, length: UInt32(truncatingIfNeeded: bytes.count))
        storage.append(contentsOf: bytes)
        return ref
    }

    public func bytes(_ ref: PayloadRef) -> [UInt8] {
        Array(storage[ref.offset..<ref.offset + Int(ref.length)])
    }

    public func withBytes<R>(_ ref: PayloadRef, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        storage.withUnsafeBytes { body($0.slice(ref.offset..<ref.offset + Int(ref.length))) }
    }
}
