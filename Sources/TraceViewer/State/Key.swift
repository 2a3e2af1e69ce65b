/// A key as the viewer understands it, whatever terminal it came from.
public enum Key: Hashable, Sendable {
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, delete, tab
    case function(Int)
    case character(Character)
    /// Ctrl plus a letter (lower case).
    case control(Character)

    public var name: String {
        switch self {
        case .up: "Up"
        case .down: "Down"
        case .left: "Left"
        case .right: "Right"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Backspace"
        case .delete: "Delete"
        case .tab: "Tab"
        case .function(let n): "F\(n)"
        case .character(" "): "Space"
        case .character(let c): String(c)
        case .control(let c): "Ctrl-" + c.uppercased()
        }
    }
}

/// Everything that can change the viewer's state.
public enum ViewerEvent: Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// Time passes (live rates, follow mode while idle).
    case tick
    /// The model took in new messages.
    case dataChanged
}
