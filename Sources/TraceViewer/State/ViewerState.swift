import TraceModel

/// Which calls a call list shows.
public enum CallsScope: Hashable, Sendable {
    case group(Int)
    case all
}

/// Which messages a ladder shows.
public enum LadderScope: Hashable, Sendable {
    case calls([Int32])
    case group(Int)
}

public enum ScreenKind: Hashable, Sendable {
    case groups
    case calls(CallsScope)
    case ladder(LadderScope)
    case message(Int32)
    case diff(Int32, Int32)
}

/// The columns a call list can be sorted by.
public enum CallSort: Int, CaseIterable, Sendable {
    case start, from, to, method, messages, state, pdd, duration, source, callID

    public var name: String {
        switch self {
        case .start: "start"
        case .from: "From"
        case .to: "To"
        case .method: "method"
        case .messages: "messages"
        case .state: "state"
        case .pdd: "PDD"
        case .duration: "duration"
        case .source: "src"
        case .callID: "Call-ID"
        }
    }
}

/// One screen on the stack. The cursor names an item, never a row number, so it stays on the
/// same group, call or message while rows are inserted above it: a group index, a call index,
/// a message index, or a line number for the message and diff screens.
public struct ScreenState: Sendable, Equatable {
    public var kind: ScreenKind
    public var cursor: Int?
    /// Where the cursor's row sits in the viewport (0 = top row), kept while rows move.
    public var anchor = 0
    /// Row of the cursor last time it was resolved: where to land if its item disappears.
    public var lastIndex = 0
    /// Horizontal scroll: first ladder column, or first text column.
    public var column = 0
    /// Selected items (calls on a call list, messages on a ladder), in the order chosen.
    public var marked: [Int32] = []
    public var sort = CallSort.start
    public var descending = false

    public init(kind: ScreenKind) { self.kind = kind }
}

/// A line of text being typed at the bottom of the screen.
public struct Prompt: Sendable, Equatable {
    public enum Purpose: Sendable, Equatable { case filter, search }
    public var purpose: Purpose
    public var text: String
    /// Where typing goes, in characters of `text` (at its end when the prompt opens).
    public var cursor: Int
    /// A parse error of the text as it stands: message and character position.
    public var error: (position: Int, message: String)?

    public init(purpose: Purpose, text: String) {
        self.purpose = purpose
        self.text = text
        cursor = text.count
    }

    public static func == (a: Prompt, b: Prompt) -> Bool {
        a.purpose == b.purpose && a.text == b.text && a.cursor == b.cursor && a.error?.position == b.error?.position
            && a.error?.message == b.error?.message
    }
}

/// The whole state of the viewer. `update` changes it; `render` draws it.
public struct ViewerState: Sendable {
    public var stack: [ScreenState] = [ScreenState(kind: .groups)]
    public var width: Int
    public var height: Int
    public var options: ViewerOptions
    public var filter: TraceFilter?
    public var search: String?
    public var prompt: Prompt?
    /// The save dialog, when open.
    public var saveDialog: SaveDialog?
    /// A save the backend should carry out next (then it clears this and sets a notice).
    public var pendingSave: SaveRequest?
    public var showHelp = false
    public var helpTop = 0
    /// Stay on the newest group, call or message as data arrives.
    public var follow = false
    /// A one-line message for the user ("no match", ...), cleared by the next key.
    public var notice: String?
    public var shouldQuit = false
    /// `q` was pressed on the first screen with unrecorded live data: the next key decides.
    public var quitAsked = false
    /// Messages received live that a save of everything has written (quitting asks for the rest).
    public var liveSavedUpTo = 0
    /// The file the last save wrote to, offered again by the next save dialog.
    public var lastSavePath: String?
    /// The model's eviction count this state's screens were built against.
    public var evictionsSeen = 0

    public init(width: Int = 80, height: Int = 24, options: ViewerOptions = ViewerOptions()) {
        self.width = width
        self.height = height
        self.options = options
    }

    public var top: ScreenState {
        get { stack[stack.count - 1] }
        set { stack[stack.count - 1] = newValue }
    }

    /// Rows for the body of a list screen: title, column header, hint and status lines are
    /// the other four.
    public var bodyHeight: Int { max(1, height - 4) }
}
