/// Columns of a table fitted to a width: columns are dropped by priority (highest number
/// first) until the rest fit, then flexible columns take what is left, up to their preferred
/// width.
public struct TableColumn: Sendable {
    public var title: String
    public var width: Int
    public var preferred: Int
    public var rightAligned: Bool
    public var priority: Int

    public init(_ title: String, width: Int, preferred: Int? = nil, right: Bool = false, priority: Int = 0) {
        self.title = title
        self.width = width
        self.preferred = max(width, preferred ?? width)
        self.rightAligned = right
        self.priority = priority
    }
}

public struct FittedColumn: Sendable {
    public var index: Int
    public var x: Int
    public var width: Int
    public var rightAligned: Bool
}

public enum TableLayout {
    public static func fit(_ columns: [TableColumn], width: Int, gap: Int = 1) -> [FittedColumn] {
        var kept = Array(columns.indices)
        func total(_ k: [Int]) -> Int { k.reduce(0) { $0 + columns[$1].width } + gap * max(0, k.count - 1) }
        while total(kept) > width, kept.count > 1 {
            let worst = kept.max { (columns[$0].priority, $0) < (columns[$1].priority, $1) }!
            kept.removeAll { $0 == worst }
        }
        var widths = Dictionary(uniqueKeysWithValues: kept.map { ($0, columns[$0].width) })
        var spare = width - total(kept)
        // Flexible columns grow in order of importance; among equals, the last (often the
        // long identifier at the end of the row) first.
        for i in kept.sorted(by: { (columns[$0].priority, -$0) < (columns[$1].priority, -$1) }) where spare > 0 {
            let grow = min(spare, columns[i].preferred - columns[i].width)
            if grow > 0 {
                widths[i]! += grow
                spare -= grow
            }
        }
        var x = 0
        var out: [FittedColumn] = []
        for i in kept {
            let w = min(widths[i]!, max(0, width - x))
            out.append(FittedColumn(index: i, x: x, width: w, rightAligned: columns[i].rightAligned))
            x += widths[i]! + gap
        }
        return out
    }
}

extension CellGrid {
    /// Writes one table cell: cut with an ellipsis when too long, right-aligned for numbers.
    mutating func putCell(_ text: String, column c: FittedColumn, y: Int, originX: Int = 0, glyphs: Glyphs,
                          role: ColorRole = .normal, attributes: CellAttributes = []) {
        let t = CellWidth.truncate(text, to: c.width, ellipsis: glyphs.ellipsis)
        let x = originX + c.x + (c.rightAligned ? c.width - CellWidth.of(t) : 0)
        put(t, x: x, y: y, limit: originX + c.x + c.width, role: role, attributes: attributes)
    }
}

extension String {
    /// Padded with spaces to `width` cells (never cut).
    func padded(to width: Int) -> String {
        let w = CellWidth.of(self)
        return w >= width ? self : self + String(repeating: " ", count: width - w)
    }
}
