import WireDecoding

/// One SIP message or HEP event in the model: a compact, fixed-size record. Text fields are ids
/// into the store's string tables; the payload is a reference, not a copy per message.
public struct MessageRecord: Sendable {
    public var time: Timestamp
    public var payload: PayloadRef
    public var source: UInt32          // endpoint id
    public var destination: UInt32     // endpoint id
    public var group: UInt32           // index into groups
    public var call: Int32             // index into calls; -1 for events without a call
    public var cseq: UInt32
    public var cseqMethod: UInt32      // string id, 0 when absent
    public var frame: UInt32
    public var captureID: UInt32       // as the user configured it (sngrep's ×65536 undone)
    public var node: UInt32            // string id of the HEP node name, 0 when absent
    public var comment: UInt32         // string id of the capture's frame comment, 0 when absent
    public var status: UInt16          // 0 for requests and events
    public var method: SIPMethod
    public var methodText: UInt32      // string id for methods outside the known set
    public var transport: SIPTransport
    public var payloadType: UInt8
    public var hepVersion: UInt8       // 0 when not from HEP
    public var hepIPProtocol: UInt8

    public var isSIP: Bool { payloadType == HEPPayloadType.sip && call >= 0 }
    public var isRequest: Bool { status == 0 }
}

/// Where a payload's bytes are kept.
public struct PayloadRef: Sendable {
    public var offset: Int
    public var length: UInt32
}
