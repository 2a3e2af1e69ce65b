/// The side-by-side table `hepscope bench` prints: every tool on the same file, in one run.
public enum ComparisonTable {
    public struct Row: Sendable {
        public var tool: String
        public var cost: ProcessCost
        public init(tool: String, cost: ProcessCost) {
            self.tool = tool
            self.cost = cost
        }
    }

    public static func render(_ rows: [Row]) -> String {
        guard let base = rows.first else { return "" }
        var lines = [["tool", "wall s", "CPU s", "peak RSS MiB", "wall vs hepscope", "RSS vs hepscope", "exit"]]
        for r in rows {
            lines.append([
                r.tool, fixed(r.cost.wallSeconds, 2), fixed(r.cost.cpuSeconds, 2),
                fixed(Double(r.cost.peakRSSBytes) / 1_048_576, 1),
                fixed(r.cost.wallSeconds / max(base.cost.wallSeconds, 1e-9), 2) + "x",
                fixed(Double(r.cost.peakRSSBytes) / Double(max(base.cost.peakRSSBytes, 1)), 2) + "x",
                String(r.cost.exitStatus),
            ])
        }
        var widths = lines[0].map(\.count)
        for l in lines { for (i, c) in l.enumerated() { widths[i] = max(widths[i], c.count) } }
        return lines.map { l in
            l.enumerated().map { i, c in
                i == 0 ? c + String(repeating: " ", count: widths[i] - c.count)
                       : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    public static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int((v * scale).rounded())
        let whole = n / Int(scale), frac = abs(n % Int(scale))
        var f = String(frac)
        while f.count < digits { f = "0" + f }
        return digits == 0 ? String(whole) : "\(whole).\(f)"
    }
}
