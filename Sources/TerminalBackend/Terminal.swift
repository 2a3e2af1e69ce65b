#if canImport(Glibc)
import Glibc
#endif
import CNCursesW
import TraceViewer

/// The ncursesw screen: draws cell grids (only what changed since the last frame) and reads
/// keys. Main thread only; nothing else in hepscope calls ncurses.
public final class Terminal {
    public enum ColourMode: Sendable { case colour, monochrome }

    public let colourMode: ColourMode
    private var last: CellGrid?
    private var active = false

    /// Sets up the locale and the terminal. `utf8` tells whether the locale (and so, we
    /// assume, the terminal) is UTF-8; when it is not, callers draw with ASCII glyphs.
    public private(set) var utf8 = true

    public init(monochrome: Bool) {
        // Wide-character ncurses needs a UTF-8 locale to convert what we draw; when the user's
        // is not UTF-8, C.UTF-8 still lets it work, and the caller falls back to ASCII.
        setlocale(LC_ALL, "")
        let codeset = String(cString: hs_codeset()).uppercased()
        if codeset != "UTF-8" && codeset != "UTF8" {
            utf8 = false
            setlocale(LC_CTYPE, "C.UTF-8")
        }
        initscr()
        active = true
        // Raw mode: Ctrl-C arrives as a key (and quits cleanly) instead of killing the process
        // with the terminal left in curses mode.
        raw()
        noecho()
        nonl()
        keypad(hs_stdscr(), true)
        nodelay(hs_stdscr(), true)
        // Without this, Esc waits a full second to tell itself apart from a key sequence.
        set_escdelay(25)
        curs_set(0)
        var mode = ColourMode.monochrome
        if !monochrome && has_colors() {
            start_color()
            use_default_colors()
            for role in ColorRole.allCases {
                let (fg, bg) = Terminal.colours(role)
                init_pair(Int16(role.rawValue) + 1, fg, bg)
            }
            init_pair(Terminal.selectionPair, Int16(COLOR_BLACK), Int16(COLOR_CYAN))
            mode = .colour
        }
        colourMode = mode
    }

    deinit { shutdown() }

    /// Gives the terminal back (also called on the way out after a signal).
    public func shutdown() {
        guard active else { return }
        active = false
        endwin()
    }

    public var size: (width: Int, height: Int) {
        var y: Int32 = 0, x: Int32 = 0
        hs_getmaxyx(hs_stdscr(), &y, &x)
        return (Int(x), Int(y))
    }

    /// Draws `grid`, touching only the cells that differ from the previous frame.
    public func draw(_ grid: CellGrid) {
        let full = last == nil || last!.width != grid.width || last!.height != grid.height
        if full { erase() }
        var chars = [wchar_t](repeating: 0, count: 8)
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let cell = grid[x, y]
                if !full, let last, last[x, y] == cell { continue }
                if cell.isContinuation { continue }
                var n = 0
                for scalar in cell.character.unicodeScalars where n < 5 {
                    chars[n] = wchar_t(bitPattern: scalar.value)
                    n += 1
                }
                let (attrs, pair) = style(cell)
                _ = hs_put_cell(Int32(y), Int32(x), chars, Int32(n), attrs, pair)
            }
        }
        last = grid
        refresh()
    }

    /// Forget the last frame: the next draw repaints everything (after a resize).
    public func invalidate() {
        last = nil
        clearok(hs_stdscr(), true)
    }

    /// Keys waiting now (never blocks); `.resize` comes through as nil size change by the caller.
    public func readKeys() -> [TerminalInput] {
        var out: [TerminalInput] = []
        while out.count < 256 {
            var ch: wint_t = 0
            let r = get_wch(&ch)
            if r == ERR { break }
            if r == KEY_CODE_YES {
                let code = Int32(ch)
                if code == KEY_RESIZE {
                    out.append(.resize)
                } else if let k = Terminal.functionKey(code) {
                    out.append(.key(k))
                }
                continue
            }
            out.append(.key(Terminal.characterKey(UInt32(ch))))
        }
        return out
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC: return .delete
        case KEY_BTAB: return .tab
        default:
            for n in 1...12 where code == hs_key_f(Int32(n)) { return .function(n) }
            return nil
        }
    }

    static func characterKey(_ v: UInt32) -> Key {
        switch v {
        case 10, 13: return .enter
        case 27: return .escape
        case 127, 8: return .backspace
        case 9: return .tab
        case 1...26: return .control(Character(Unicode.Scalar(v + 96)!))
        default: return .character(Unicode.Scalar(v).map { Character($0) } ?? "?")
        }
    }

    private func style(_ cell: Cell) -> (attr_t, Int16) {
        var attrs = hs_a_normal()
        if cell.attributes.contains(.bold) { attrs |= hs_a_bold() }
        if cell.attributes.contains(.underline) { attrs |= hs_a_underline() }
        switch colourMode {
        case .colour:
            // The cursor row is one even bar, as in sngrep, rather than each colour inverted.
            if cell.attributes.contains(.reverse) { return (attrs, Terminal.selectionPair) }
            if Terminal.boldRoles.contains(cell.role) { attrs |= hs_a_bold() }
            if cell.role == .dim { attrs |= hs_a_dim() }
            return (attrs, Int16(cell.role.rawValue) + 1)
        case .monochrome:
            if cell.attributes.contains(.reverse) { attrs |= hs_a_reverse() }
            return (attrs | Terminal.monochrome(cell.role), 0)
        }
    }

    static let selectionPair = Int16(ColorRole.allCases.count) + 1

    static let boldRoles: Set<ColorRole> = [.title, .statusBar, .error, .clientError, .serverError]

    /// Colour pairs by role (foreground, background; -1 is the terminal's default).
    static func colours(_ role: ColorRole) -> (Int16, Int16) {
        let d: Int16 = -1
        switch role {
        case .normal: return (d, d)
        case .title: return (Int16(COLOR_WHITE), Int16(COLOR_BLUE))
        case .header: return (Int16(COLOR_CYAN), d)
        case .statusBar: return (Int16(COLOR_BLACK), Int16(COLOR_CYAN))
        case .hint: return (Int16(COLOR_CYAN), d)
        case .dim: return (d, d)
        case .error: return (Int16(COLOR_WHITE), Int16(COLOR_RED))
        case .prompt: return (Int16(COLOR_BLACK), Int16(COLOR_WHITE))
        case .accent: return (Int16(COLOR_YELLOW), d)
        case .request: return (Int16(COLOR_CYAN), d)
        case .provisional: return (Int16(COLOR_YELLOW), d)
        case .success: return (Int16(COLOR_GREEN), d)
        case .redirect: return (Int16(COLOR_BLUE), d)
        case .clientError: return (Int16(COLOR_RED), d)
        case .serverError: return (Int16(COLOR_MAGENTA), d)
        case .event: return (Int16(COLOR_YELLOW), d)
        case .retransmission: return (Int16(COLOR_RED), d)
        case .sipMethod: return (Int16(COLOR_CYAN), d)
        case .sipHeader: return (Int16(COLOR_GREEN), d)
        case .sipParameter: return (Int16(COLOR_YELLOW), d)
        case .sipBody: return (Int16(COLOR_MAGENTA), d)
        case .palette0: return (Int16(COLOR_CYAN), d)
        case .palette1: return (Int16(COLOR_GREEN), d)
        case .palette2: return (Int16(COLOR_YELLOW), d)
        case .palette3: return (Int16(COLOR_MAGENTA), d)
        case .palette4: return (Int16(COLOR_BLUE), d)
        case .palette5: return (Int16(COLOR_RED), d)
        case .diffRemoved: return (Int16(COLOR_RED), d)
        case .diffAdded: return (Int16(COLOR_GREEN), d)
        case .marked: return (Int16(COLOR_YELLOW), d)
        case .progress: return (Int16(COLOR_BLACK), Int16(COLOR_YELLOW))
        }
    }

    /// Without colours, attributes still tell requests from responses, failures from
    /// successes, and bars from content.
    static func monochrome(_ role: ColorRole) -> attr_t {
        switch role {
        case .title, .statusBar, .progress, .prompt, .error: return hs_a_reverse()
        case .header: return hs_a_bold() | hs_a_underline()
        case .request, .sipMethod, .marked, .diffAdded, .accent: return hs_a_bold()
        case .clientError, .serverError, .retransmission, .diffRemoved: return hs_a_underline()
        case .dim: return hs_a_dim()
        default: return hs_a_normal()
        }
    }
}

public enum TerminalInput: Sendable {
    case key(Key)
    case resize
}
