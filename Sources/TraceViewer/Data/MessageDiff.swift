/// Two messages side by side, lines matched by a longest common subsequence so that what
/// differs (a tag, a branch, an SDP line) stands out.
public struct MessageDiff: Sendable {
    public enum Kind: Sendable { case same, changed, onlyLeft, onlyRight }
    public struct Row: Sendable {
        public var left: String?
        public var right: String?
        public var kind: Kind
    }

    public var rows: [Row] = []

    public init(left a: [String], right b: [String]) {
        // Messages are a few dozen lines: the quadratic table is small.
        let n = a.count, m = b.count
        var lcs = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
        if n > 0, m > 0 {
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
                }
            }
        }
        var i = 0, j = 0
        var pendingLeft: [String] = [], pendingRight: [String] = []
        func flush() {
            // Lines removed and added at the same place pair up as changed lines.
            for k in 0..<max(pendingLeft.count, pendingRight.count) {
                let l = k < pendingLeft.count ? pendingLeft[k] : nil
                let r = k < pendingRight.count ? pendingRight[k] : nil
                rows.append(Row(left: l, right: r, kind: l == nil ? .onlyRight : r == nil ? .onlyLeft : .changed))
            }
            pendingLeft.removeAll()
            pendingRight.removeAll()
        }
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                flush()
                rows.append(Row(left: a[i], right: b[j], kind: .same))
                i += 1; j += 1
            } else if j < m, i == n || lcs[i][j + 1] >= lcs[i + 1][j] {
                pendingRight.append(b[j]); j += 1
            } else {
                pendingLeft.append(a[i]); i += 1
            }
        }
        flush()
    }
}

extension ViewerModel {
    func diff(_ a: Int32, _ b: Int32, glyphs: Glyphs) -> MessageDiff {
        MessageDiff(left: messageText(a, glyphs: glyphs).body.map(\.text), right: messageText(b, glyphs: glyphs).body.map(\.text))
    }
}
