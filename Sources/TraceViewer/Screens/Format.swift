import TraceOutput
import WireDecoding

/// Number and time formats shared by the screens (always UTC, as `print` is).
enum Format {
    /// "01:55:19.662"
    static func clockMillis(_ t: Timestamp) -> String { String(TextReport.clock(t).dropFirst(11).prefix(12)) }
    /// "01:55:19.662639"
    static func clockMicros(_ t: Timestamp) -> String { String(TextReport.clock(t).dropFirst(11)) }
    /// "01:55:19"
    static func clockSeconds(_ t: Timestamp) -> String { String(TextReport.clock(t).dropFirst(11).prefix(8)) }
    /// "2026-11-27 01:55:19"
    static func dateTime(_ t: Timestamp) -> String { String(TextReport.clock(t).prefix(19)) }

    /// Milliseconds with sensible precision: "1.47", "12.3", "609".
    static func millis(_ ns: Int64?) -> String {
        guard let ns else { return "-" }
        let ms = Double(ns) / 1e6
        if ms < 10 { return fixed(ms, 2) }
        if ms < 100 { return fixed(ms, 1) }
        return fixed(ms, 0)
    }

    /// A duration: "1.47ms", "609ms", "12.4s", "3m05s".
    static func duration(_ ns: Int64?) -> String {
        guard let ns else { return "-" }
        if ns < 1_000_000_000 { return millis(ns) + "ms" }
        let s = Double(ns) / 1e9
        if s < 60 { return fixed(s, 1) + "s" }
        let whole = Int(s)
        let sec = whole % 60
        return "\(whole / 60)m\(sec < 10 ? "0" : "")\(sec)s"
    }

    /// Signed seconds with microseconds: "+0.000172".
    static func delta(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : "+"
        let us = abs(ns) / 1000
        let frac = String(us % 1_000_000)
        return "\(sign)\(us / 1_000_000).\(String(repeating: "0", count: 6 - frac.count))\(frac)"
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((abs(v) * scale).rounded())
        let whole = n / Int64(scale)
        var out = (v < 0 && n != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let frac = String(n % Int64(scale))
            out += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return out
    }

    static func percent(_ v: Double?) -> String { v.map { fixed($0 * 100, 0) + "%" } ?? "-" }

    static func rate(_ v: Double?) -> String {
        guard let v else { return "-" }
        return (v < 10 ? fixed(v, 1) : fixed(v, 0)) + "/s"
    }

    static func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1 << 20 { return fixed(Double(n) / 1024, 1) + " KiB" }
        if n < 1 << 30 { return fixed(Double(n) / Double(1 << 20), 1) + " MiB" }
        return fixed(Double(n) / Double(1 << 30), 2) + " GiB"
    }

    /// 12345 -> "12,345"
    static func count(_ n: Int) -> String {
        let digits = Array(String(abs(n)))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// An endpoint shortened to `width` cells, keeping the port: IPv6 loses the middle of
    /// its address first ("[2001:db8…:1]:5060").
    static func endpoint(_ text: String, width: Int, glyphs: Glyphs) -> String {
        if CellWidth.of(text) <= width { return text }
        guard let lastColon = text.lastIndex(of: ":") else { return CellWidth.truncate(text, to: width, ellipsis: glyphs.ellipsis) }
        let port = String(text[lastColon...])
        var host = String(text[..<lastColon])
        let close = host.hasSuffix("]") ? "]" : ""
        if !close.isEmpty { host.removeLast() }
        let room = width - port.count - close.count - glyphs.ellipsis.count
        guard room >= 2 else { return CellWidth.truncate(text, to: width, ellipsis: glyphs.ellipsis) }
        let head = (room + 1) / 2, tail = room - head
        return String(host.prefix(head)) + glyphs.ellipsis + String(host.suffix(tail)) + close + port
    }
}
