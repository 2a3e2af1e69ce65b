/// The two container formats the reader understands.
public enum CaptureFormat: Sendable {
    case pcap, pcapng
}

/// One captured packet as a borrowed view into the reader's input.
///
/// `data` points into the buffer given to `CaptureFileReader`; it stays valid as long as that
/// buffer does. Callers that feed a stream through `rebase` must finish with a frame before they
/// hand over a new buffer, since the old one is then theirs to free or overwrite.
public struct CaptureFrame {
    /// The captured bytes (caplen of them), starting at the link-layer header.
    public var data: UnsafeRawBufferPointer
    /// LINKTYPE_* value: 1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP, 0 NULL, 108 LOOP ...
    public var linkType: UInt32
    public var timestamp: Timestamp
    /// The length of the packet on the wire, which may exceed `data.count` when the capture
    /// was cut by a snap length.
    public var originalLength: Int
    /// Where `data` starts, counted from the first byte of the input (bytes dropped with
    /// `rebase` included), so a payload can be found again later by offset.
    public var dataOffset: Int
    /// pcapng interface index within its section; 0 for pcap.
    public var interfaceID: Int
    /// 1-based, in file order, counting only packets (the number Wireshark shows).
    public var frameNumber: Int
    /// The pcapng opt_comment values of the packet block (`text` joins them by newlines).
    public var comment: FrameComment?

    public init(
        data: UnsafeRawBufferPointer, linkType: UInt32, timestamp: Timestamp, originalLength: Int,
        dataOffset: Int, interfaceID: Int = 0, frameNumber: Int = 0
    ) {
        self.data = data
        self.linkType = linkType
        self.timestamp = timestamp
        self.originalLength = originalLength
        self.dataOffset = dataOffset
        self.interfaceID = interfaceID
        self.frameNumber = frameNumber
        comment = nil
    }

    /// An empty frame for the format readers to fill in.
    static var placeholder: CaptureFrame {
        CaptureFrame(data: UnsafeRawBufferPointer(start: nil, count: 0), linkType: 0, timestamp: .zero, originalLength: 0, dataOffset: 0)
    }
}

public enum CaptureFileError: Error, Equatable, Sendable {
    case empty
    /// A one-line explanation naming the first bytes seen.
    case notACapture(String)
}

/// The outcome of one streaming read step.
public enum CaptureReadStep {
    case frame(CaptureFrame)
    /// The buffer ends inside a record: append more bytes with `rebase` and call again.
    case needMoreData
    /// No more frames: the data ended cleanly, or reading stopped (see `warnings`).
    case end
}
