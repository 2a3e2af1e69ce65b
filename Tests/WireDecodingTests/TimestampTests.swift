import Testing
import WireDecoding

/// Times read from pcapng can be any 64-bit value (the file sets resolution and offset).
@Suite struct TimestampTests {
    @Test func differencesSaturateInsteadOfTrapping() {
        let min = Timestamp(nanoseconds: .min), max = Timestamp(nanoseconds: .max)
        #expect(max.nanoseconds(since: min) == .max)
        #expect(min.nanoseconds(since: max) == -.max)
        // Exactly Int64.min would trap in abs(): it is held at -Int64.max too.
        #expect(min.nanoseconds(since: .zero) == -.max)
        #expect(Timestamp(nanoseconds: 5).nanoseconds(since: Timestamp(nanoseconds: 7)) == -2)
    }

    @Test func decimalSecondsAtTheEndsOfTheRange() {
        #expect(Timestamp(nanoseconds: .min).decimalSeconds == "-9223372037.145224")
        #expect(Timestamp(nanoseconds: .max).decimalSeconds == "9223372036.854775")
        #expect(Timestamp(nanoseconds: -1).decimalSeconds == "-1.999999")
        #expect(Timestamp(seconds: 1_795_744_519, microseconds: 662_639).decimalSeconds == "1795744519.662639")
    }
}
