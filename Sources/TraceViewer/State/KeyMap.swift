/// What a key does. One table maps keys to actions; the help overlay is drawn from it.
public enum Action: Hashable, Sendable {
    case up, down, pageUp, pageDown, home, end, left, right
    case open, back, backOrQuit, quit, select, help
    case filter, search, searchNext, searchPrevious, clear, follow
    case allCalls, groupLadder, linkedLadder, diff
    case sortNext, sortReverse, mergePorts, timeMode, colourMode, wrapLines
    case save
}

public enum KeyMap {
    public struct Binding: Sendable {
        public var keys: [Key]
        public var action: Action
        public var help: String
        /// Where it applies, for the help overlay ("" = everywhere).
        public var context: String
    }

    /// Every key, in the order the help overlay lists them.
    public static let bindings: [Binding] = [
        Binding(keys: [.up, .character("k")], action: .up, help: "previous row", context: ""),
        Binding(keys: [.down, .character("j")], action: .down, help: "next row", context: ""),
        Binding(keys: [.pageUp, .control("b")], action: .pageUp, help: "page up", context: ""),
        Binding(keys: [.pageDown, .control("f")], action: .pageDown, help: "page down", context: ""),
        Binding(keys: [.home, .character("g")], action: .home, help: "first row", context: ""),
        Binding(keys: [.end, .character("G")], action: .end, help: "last row", context: ""),
        Binding(keys: [.left, .character("h")], action: .left, help: "scroll left", context: "ladder, message, diff"),
        Binding(keys: [.right, .character("l")], action: .right, help: "scroll right", context: "ladder, message, diff"),
        Binding(keys: [.enter], action: .open, help: "open: calls, ladder, message", context: ""),
        Binding(keys: [.escape], action: .back, help: "back", context: ""),
        Binding(keys: [.character("q")], action: .backOrQuit, help: "back; first screen: quit (asks when live data is unsaved)", context: ""),
        Binding(keys: [.control("c"), .character("Q")], action: .quit, help: "quit at once", context: ""),
        Binding(keys: [.character(" ")], action: .select, help: "select calls / two messages to diff", context: "calls, ladder"),
        Binding(keys: [.function(1), .character("?")], action: .help, help: "this help", context: ""),
        Binding(keys: [.function(7), .character("f")], action: .filter, help: "filter (method:INVITE state:busy ...)", context: ""),
        Binding(keys: [.character("/")], action: .search, help: "search on this screen", context: ""),
        Binding(keys: [.function(2), .character("w")], action: .save, help: "save: pcap, pcapng, txt, ladder.txt, json, mmd, svg, html", context: ""),
        Binding(keys: [.character("n")], action: .searchNext, help: "next match", context: ""),
        Binding(keys: [.character("N")], action: .searchPrevious, help: "previous match", context: ""),
        Binding(keys: [.function(9)], action: .clear, help: "clear filter, search and selection", context: ""),
        Binding(keys: [.character("F")], action: .follow, help: "follow the newest (moving stops it)", context: ""),
        Binding(keys: [.character("a")], action: .allCalls, help: "all calls of every group", context: "groups"),
        Binding(keys: [.character("v")], action: .groupLadder, help: "ladder of the whole group", context: "groups"),
        Binding(keys: [.character("x")], action: .linkedLadder, help: "ladder of the call and its linked legs", context: "calls"),
        Binding(keys: [.character("d")], action: .diff, help: "diff the two selected messages", context: "ladder"),
        Binding(keys: [.character("s")], action: .sortNext, help: "sort by the next column", context: "calls"),
        Binding(keys: [.character("S")], action: .sortReverse, help: "reverse the sort order", context: "calls"),
        Binding(keys: [.character("m")], action: .mergePorts, help: "merge the ports of one host", context: "ladder"),
        Binding(keys: [.character("t")], action: .timeMode, help: "time, delta, time since start", context: "ladder"),
        Binding(keys: [.character("c")], action: .colourMode, help: "colour per call / per transaction", context: "ladder"),
        Binding(keys: [.character("W")], action: .wrapLines, help: "wrap long lines / cut them (h l scroll)", context: "message"),
    ]

    static let table: [Key: Action] = {
        var t: [Key: Action] = [:]
        for b in bindings { for k in b.keys { t[k] = b.action } }
        return t
    }()

    public static func action(for key: Key) -> Action? { table[key] }
}
