import Testing
@testable import TraceViewer

/// The key hints under every screen: at any width they are whole words, and help and the way back
/// are always among them.
@Suite struct HintLineTests {
    @Test(arguments: [ScreenKind.groups, .calls(.all), .ladder(.group(0)), .message(0), .diff(0, 1)])
    func hintsAreDroppedWholeNeverCut(_ kind: ScreenKind) {
        let all = Renderer.hints(for: kind)
        for width in 20...140 {
            let line = Renderer.hintLine(for: kind, width: width)
            #expect(CellWidth.of(line) <= width, "\(kind) at \(width): \(line)")
            let shown = line.dropFirst().components(separatedBy: "  ")
            #expect(shown.allSatisfy(all.contains), "\(kind) at \(width): \(line)")
            #expect(Array(shown.suffix(2)) == Array(all.suffix(2)), "\(kind) at \(width): \(line)")
            // The most used key stays as long as it fits beside help and the way back.
            if CellWidth.of(" " + ([all[0]] + all.suffix(2)).joined(separator: "  ")) <= width {
                #expect(shown.first == all.first, "\(kind) at \(width): \(line)")
            }
        }
        #expect(Renderer.hintLine(for: kind, width: 200) == " " + all.joined(separator: "  "))
    }
}
