import WireDecoding

/// The frames of a capture input in order, for the loaders. Over a mapped file they are all
/// there at once; over a gzip file still inflating (`InputBytes.open(_:whileInflating:)`), the
/// reader waits where it has caught up, for a good piece more (a wake-up per 64 KiB inflated
/// would cost more than the frames in it).
struct InputFrames {
    static let waitStep = 1 << 20

    let input: InputBytes
    private(set) var reader: CaptureFileReader
    private(set) var available: InputBytes.Available
    private var mapped = 0

    /// Waits for the first bytes (enough to tell the format) and reads the file header.
    init(_ input: InputBytes) throws(InputError) {
        self.input = input
        available = input.waitForMore(than: 64)
        if available.bytes.isEmpty, let failure = available.failure { throw InputError(failure) }
        do {
            reader = try CaptureFileReader(available.bytes)
        } catch {
            switch error {
            case .empty: throw InputError("\(input.name): empty file, not a capture")
            case .notACapture(let why): throw InputError("\(input.name): \(why)")
            }
        }
    }

    /// "pcap", "pcapng", with ".gz" for a compressed input.
    var format: String { (reader.format == .pcap ? "pcap" : "pcapng") + (input.wasCompressed ? ".gz" : "") }

    /// Bytes read so far.
    var position: Int { reader.position }

    /// The next frame, nil at the end. `beforeWaiting` runs each time the reader has caught up
    /// with an input still inflating, before it waits, with the position and the likely size
    /// of the whole input. Frames handed out earlier stay valid: the input's mapping never moves.
    mutating func next(beforeWaiting: (_ position: Int, _ estimatedTotal: Int) -> Void = { _, _ in }) -> CaptureFrame? {
        while true {
            switch reader.next(moreDataMayFollow: !available.complete) {
            case .frame(let frame):
                input.mapIn(from: reader.position, mapped: &mapped)
                return frame
            case .end:
                return nil
            case .needMoreData:
                beforeWaiting(reader.position, available.estimatedTotal)
                available = input.waitForMore(than: available.bytes.count + InputFrames.waitStep - 1)
                reader.rebase(available.bytes, droppingConsumed: 0)
            }
        }
    }

    /// The reader's warnings, named after the input, and why the input ended early if it did.
    var warnings: [String] {
        var all = reader.warnings.map { "\(input.name): \($0)" }
        if reader.suppressedWarnings > 0 { all.append("\(input.name): \(reader.suppressedWarnings) more warnings not listed") }
        if let failure = available.failure { all.append(failure) }
        return all
    }
}
