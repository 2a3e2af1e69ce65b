/// What a cell is drawn as, named by meaning; the terminal backend maps each role to a colour
/// pair, or to bold/underline/reverse in monochrome mode.
public enum ColorRole: UInt8, CaseIterable, Sendable {
    case normal, title, header, statusBar, hint, dim, error, prompt, accent
    case request, provisional, success, redirect, clientError, serverError, event, retransmission
    case sipMethod, sipHeader, sipParameter, sipBody
    case palette0, palette1, palette2, palette3, palette4, palette5
    case diffRemoved, diffAdded, marked, progress

    public static let palette: [ColorRole] = [.palette0, .palette1, .palette2, .palette3, .palette4, .palette5]

    /// The role of a SIP status (0 for requests).
    public static func sip(status: UInt16) -> ColorRole {
        switch status {
        case 0: .request
        case 100..<200: .provisional
        case 200..<300: .success
        case 300..<400: .redirect
        case 400..<500: .clientError
        default: .serverError
        }
    }
}

public struct CellAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = CellAttributes(rawValue: 1)
    public static let reverse = CellAttributes(rawValue: 2)
    public static let underline = CellAttributes(rawValue: 4)
}

public struct Cell: Equatable, Sendable {
    public var character: Character
    public var role: ColorRole
    public var attributes: CellAttributes

    public init(_ character: Character = " ", role: ColorRole = .normal, attributes: CellAttributes = []) {
        self.character = character
        self.role = role
        self.attributes = attributes
    }

    /// The right half of a double-width character: the backend draws nothing there.
    public static let continuation: Character = "\u{0}"
    public var isContinuation: Bool { character == Cell.continuation }
}

/// One frame in memory: rows of cells. Screens draw into it; the terminal backend draws it,
/// and tests compare its text with golden files.
public struct CellGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Only ASCII may be drawn (a terminal without UTF-8): anything else becomes "?".
    public let asciiOnly: Bool

    public init(width: Int, height: Int, asciiOnly: Bool = false) {
        self.width = max(0, width)
        self.height = max(0, height)
        self.asciiOnly = asciiOnly
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Writes `text` from column `x` up to (not including) column `limit`, one Character per
    /// cell (two for wide ones). Returns the column after the last cell written. Callers pass
    /// text that went through SafeText: nothing here can be a control character.
    @discardableResult
    public mutating func put(_ text: some StringProtocol, x: Int, y: Int, limit: Int? = nil,
                             role: ColorRole = .normal, attributes: CellAttributes = []) -> Int {
        guard y >= 0, y < height else { return x }
        let end = min(limit ?? width, width)
        var col = x
        for ch in text {
            var c = ch
            var w = CellWidth.of(c)
            if asciiOnly, !(c.isASCII) { c = "?"; w = 1 }
            if w == 0 { continue }
            if col + w > end { break }
            if col >= 0 {
                // Writing over half of a wide character would leave the other half dangling.
                if col + w < width, cells[y * width + col + w].isContinuation { cells[y * width + col + w].character = " " }
                if cells[y * width + col].isContinuation, col > 0 { cells[y * width + col - 1].character = " " }
                cells[y * width + col] = Cell(c, role: role, attributes: attributes)
                if w == 2 { cells[y * width + col + 1] = Cell(Cell.continuation, role: role, attributes: attributes) }
            }
            col += w
        }
        return col
    }

    /// Sets role and attributes over a span without changing the characters.
    public mutating func paint(y: Int, from: Int = 0, to: Int? = nil, role: ColorRole? = nil, adding: CellAttributes = []) {
        // Any span is accepted, also one that lies wholly off the grid or runs backwards (a
        // search match scrolled out of view): nothing is painted then.
        let lo = max(0, from), hi = min(to ?? width, width)
        guard y >= 0, y < height, lo < hi else { return }
        for x in lo..<hi {
            if let role { cells[y * width + x].role = role }
            cells[y * width + x].attributes.formUnion(adding)
        }
    }

    /// Clears a rectangle to blanks of `role`.
    public mutating func fill(x: Int = 0, y: Int, width w: Int? = nil, height h: Int = 1, role: ColorRole = .normal) {
        let x0 = max(0, x), x1 = min(width, x + (w ?? width - x))
        let y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for col in x0..<x1 { cells[row * width + col] = Cell(" ", role: role) }
        }
    }

    /// One row as text (continuation cells skipped).
    public func line(_ y: Int) -> String {
        var s = ""
        for x in 0..<width {
            let c = cells[y * width + x]
            if !c.isContinuation { s.append(c.character) }
        }
        return s
    }

    /// The whole grid as text, trailing blanks of each row trimmed: what golden files hold.
    public var text: String {
        (0..<height).map { y in
            var l = Substring(line(y))
            while l.last == " " { l = l.dropLast() }
            return String(l)
        }.joined(separator: "\n") + "\n"
    }
}

/// How many terminal cells a character takes. An approximation of `wcwidth` that does not
/// depend on the process locale: combining marks and format characters take none, East Asian
/// wide and fullwidth characters and emoji two, the rest one. The backend places every cell
/// at its own position, so a disagreement with the terminal can only affect that one cell.
public enum CellWidth {
    public static func of(_ c: Character) -> Int {
        guard let first = c.unicodeScalars.first else { return 0 }
        let v = first.value
        if v < 0x300 { return v < 0x20 || (v >= 0x7f && v < 0xa0) ? 0 : 1 }
        switch first.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if isWide(v) { return 2 }
        // An emoji presentation selector widens a narrow base symbol.
        if c.unicodeScalars.contains(where: { $0.value == 0xfe0f }) { return 2 }
        return 1
    }

    static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115f, 0x231a...0x231b, 0x2329...0x232a, 0x23e9...0x23ec, 0x23f0, 0x23f3,
             0x25fd...0x25fe, 0x2614...0x2615, 0x2648...0x2653, 0x267f, 0x2693, 0x26a1, 0x26aa...0x26ab,
             0x26bd...0x26be, 0x26c4...0x26c5, 0x26ce, 0x26d4, 0x26ea, 0x26f2...0x26f3, 0x26f5, 0x26fa,
             0x26fd, 0x2705, 0x270a...0x270b, 0x2728, 0x274c, 0x274e, 0x2753...0x2755, 0x2757,
             0x2795...0x2797, 0x27b0, 0x27bf, 0x2b1b...0x2b1c, 0x2b50, 0x2b55,
             0x2e80...0x303e, 0x3041...0x33ff, 0x3400...0x4dbf, 0x4e00...0x9fff, 0xa000...0xa4cf,
             0xa960...0xa97f, 0xac00...0xd7a3, 0xf900...0xfaff, 0xfe10...0xfe19, 0xfe30...0xfe6f,
             0xff00...0xff60, 0xffe0...0xffe6, 0x16fe0...0x18cff, 0x1b000...0x1b2ff,
             0x1f004, 0x1f0cf, 0x1f18e, 0x1f191...0x1f19a, 0x1f200...0x1f251, 0x1f300...0x1f64f,
             0x1f680...0x1f6ff, 0x1f7e0...0x1f7eb, 0x1f90c...0x1f9ff, 0x1fa70...0x1faff,
             0x20000...0x2fffd, 0x30000...0x3fffd:
            return true
        default:
            return false
        }
    }

    /// Cells a string takes.
    public static func of(_ s: some StringProtocol) -> Int { s.reduce(0) { $0 + of($1) } }

    /// The longest prefix that fits in `width` cells, with `ellipsis` when something was cut.
    public static func truncate(_ s: String, to width: Int, ellipsis: String) -> String {
        if of(s) <= width { return s }
        guard width > 0 else { return "" }
        let room = width - of(ellipsis)
        var out = ""
        var used = 0
        for c in s {
            let w = of(c)
            if used + w > room { break }
            out.append(c)
            used += w
        }
        return out + (room >= 0 ? ellipsis : "")
    }
}

extension CellWidth {
    /// `line` cut into lines of at most `width` cells, at spaces where it can be; the lines
    /// after the first are indented under its text.
    static func wrapped(_ line: String, width: Int) -> [String] {
        var out: [String] = []
        var rest = Substring(line)
        var indent = ""
        while CellWidth.of(indent + rest) > width {
            let room = max(1, width - indent.count)
            var cut = rest.startIndex, taken = 0
            for i in rest.indices {
                let w = CellWidth.of(String(rest[i]))
                if taken + w > room { break }
                taken += w
                cut = rest.index(after: i)
            }
            if let space = rest[..<cut].lastIndex(of: " "), space > rest.startIndex { cut = rest.index(after: space) }
            guard cut > rest.startIndex else { break }
            out.append(indent + rest[..<cut])
            rest = rest[cut...]
            indent = "  "
        }
        out.append(indent + rest)
        return out
    }
}
