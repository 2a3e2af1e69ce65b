/// The characters screens draw lines, arrows and marks with: UTF-8 box drawing, or plain ASCII
/// for terminals that are not UTF-8 (`--ascii`, or a locale whose codeset is not UTF-8).
public struct Glyphs: Sendable, Equatable {
    public var vertical: String
    public var horizontal: String
    public var arrowRight: String
    public var arrowLeft: String
    public var ellipsis: String
    public var rightwards: String        // "→" between source and destination
    public var branch: String            // a linked leg under its A-leg
    public var retransmission: String
    public var note: String              // a HEP event on a ladder
    public var mark: String              // a selected row
    public var continuation: String      // a long line's next row, where it wraps
    public var progressFull: String
    public var progressEmpty: String
    public var boxTopLeft: String, boxTopRight: String, boxBottomLeft: String, boxBottomRight: String
    public var separator: String         // between status bar fields
    public var dot: String               // between facts on one line
    public var isASCII: Bool

    public static let unicode = Glyphs(
        vertical: "│", horizontal: "─", arrowRight: "▶", arrowLeft: "◀", ellipsis: "…", rightwards: "→",
        branch: "└", retransmission: "↻", note: "◆", mark: "●", continuation: "↪", progressFull: "█", progressEmpty: "░",
        boxTopLeft: "┌", boxTopRight: "┐", boxBottomLeft: "└", boxBottomRight: "┘", separator: "│", dot: "·", isASCII: false)

    public static let ascii = Glyphs(
        vertical: "|", horizontal: "-", arrowRight: ">", arrowLeft: "<", ellipsis: "~", rightwards: ">",
        branch: "`", retransmission: "R", note: "*", mark: "*", continuation: "+", progressFull: "#", progressEmpty: ".",
        boxTopLeft: "+", boxTopRight: "+", boxBottomLeft: "+", boxBottomRight: "+", separator: "|", dot: "-", isASCII: true)
}

/// How things are drawn; changed by keys while the viewer runs.
public struct ViewerOptions: Sendable, Equatable {
    public enum TimeMode: Int, Sendable, CaseIterable {
        case absolute, delta, sinceStart
        public var name: String {
            switch self {
            case .absolute: "time"
            case .delta: "delta"
            case .sinceStart: "since start"
            }
        }
    }

    public var glyphs: Glyphs
    /// One ladder column per host instead of per address and port.
    public var mergePorts = false
    public var timeMode = TimeMode.absolute
    /// Colour ladder arrows per transaction (true) or per call (false); a single call defaults
    /// to transactions, several calls to calls.
    public var colourByTransaction: Bool?
    /// The terminal shows no colours (`--mono`, `NO_COLOR`, or none to show).
    public var monochrome = false
    /// Listeners whose messages are not recorded (no `--write`): quitting from the first
    /// screen asks first, since what was received is gone once the viewer ends.
    public var askBeforeQuitting = false
    /// A message's long lines wrap onto the next rows (true) or are cut, scrolled sideways.
    public var wrapLines = true

    public init(ascii: Bool = false) {
        glyphs = ascii ? .ascii : .unicode
    }
}
