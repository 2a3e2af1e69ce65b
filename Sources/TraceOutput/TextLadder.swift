import TraceModel
import WireDecoding

/// Draws a ladder diagram as text, in UTF-8 box drawing or plain ASCII:
///
///                   127.0.0.1:5070    127.0.0.1:5060
///   01:55:19.662639       |------INVITE----->|
public enum TextLadder {
    public struct Glyphs: Sendable {
        var vertical: Character, horizontal: Character, right: Character, left: Character
        public static let unicode = Glyphs(vertical: "│", horizontal: "─", right: "▶", left: "◀")
        public static let ascii = Glyphs(vertical: "|", horizontal: "-", right: ">", left: "<")
    }

    public static func render(_ layout: LadderLayout, glyphs: Glyphs = .unicode, columnWidth: Int = 24) -> String {
        let timeWidth = 17  // "01:55:19.662639" plus two spaces
        let width = max(columnWidth, (layout.columns.map { $0.description.count }.max() ?? 0) + 2)
        func center(_ c: Int) -> Int { timeWidth + c * width + width / 2 }
        let lineLength = timeWidth + layout.columns.count * width
        var out = ""
        // Header: endpoint names centred over their column.
        var header = [Character](repeating: " ", count: lineLength)
        for (c, e) in layout.columns.enumerated() {
            let name = Array(e.description)
            let start = max(0, center(c) - name.count / 2)
            for (i, ch) in name.enumerated() where start + i < header.count { header[start + i] = ch }
        }
        out += String(header).trimmingTrailingSpaces() + "\n"
        for row in layout.rows {
            var line = [Character](repeating: " ", count: lineLength)
            for (i, ch) in clockTime(row.time).enumerated() { line[i] = ch }
            for c in layout.columns.indices { line[center(c)] = glyphs.vertical }
            let a = center(row.from), b = center(row.to)
            if a == b {
                // A message to itself: a short stub to the right.
                for x in a + 1..<min(lineLength, a + 4) { line[x] = glyphs.horizontal }
                if a + 4 < lineLength { line[a + 4] = glyphs.left }
                put(row.label, into: &line, from: a + 6, to: lineLength)
            } else {
                let lo = min(a, b), hi = max(a, b)
                for x in lo + 1..<hi { line[x] = glyphs.horizontal }
                if b > a { line[hi - 1] = glyphs.right } else { line[lo + 1] = glyphs.left }
                // Keep a dash on each side of the label so the arrow stays readable.
                let space = hi - lo - 6
                let label = String(row.label.prefix(max(0, space)))
                let start = lo + 3 + (space - label.count) / 2
                put(label, into: &line, from: start, to: hi - 2)
            }
            out += String(line).trimmingTrailingSpaces() + "\n"
        }
        return out
    }

    private static func put(_ s: String, into line: inout [Character], from: Int, to: Int) {
        var x = from
        for ch in s where x < to && x < line.count {
            line[x] = ch
            x += 1
        }
    }

    /// "01:55:19.662639" (UTC).
    static func clockTime(_ t: Timestamp) -> String {
        let full = TextReport.clock(t)
        return String(full.dropFirst(11))
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
