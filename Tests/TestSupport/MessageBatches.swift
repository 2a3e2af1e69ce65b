import WireDecoding

extension Fixtures {
    /// A recorded Kamailio capture's messages as a listener hands them over: copies, in batches
    /// of `size`, in file order or reversed, each passed to `adjust` first.
    public static func messageBatches(_ name: String, size: Int, reversed: Bool = false,
                                      adjust: (inout DecodedMessage) -> Void = { _ in }) throws -> [MessageBatch] {
        let bytes = try Fixtures.bytes(Fixtures.kamailio(name))
        let decoder = TraceDecoder()
        var batches: [MessageBatch] = []
        var batch = MessageBatch()
        try bytes.withUnsafeBytes { b in
            var reader = try CaptureFileReader(b)
            var frames: [CaptureFrame] = []
            while let frame = reader.next() { frames.append(frame) }
            for frame in reversed ? frames.reversed() : frames {
                decoder.decode(frame: frame) { m in
                    var m = m
                    adjust(&m)
                    batch.append(m)
                    if batch.count == size {
                        batches.append(batch)
                        batch = MessageBatch()
                    }
                }
            }
            decoder.finish { batch.append($0) }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }
}
