#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TraceExport
import TraceModel
import TraceOutput
import TraceViewer

/// Carries out a save asked for in the viewer's dialog, and says how it went.
enum SaveRunner {
    static func perform(_ request: SaveRequest, model: ViewerModel, filter: TraceFilter?) -> SaveOutcome {
        let path = expandingHome(request.path)
        let shown = SafeText.line(absolute(path))
        // A regular file of that name is only replaced once the user has been told.
        var info = stat()
        if !request.replace, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { return .exists(where: shown) }
        let selection = request.scope.selection(model, filter: filter)
        do {
            let bytes = try request.format.render(model.store, selection, filterText: filter?.expression)
            try AtomicFile.write(bytes, to: path)
            let n = selection.messages.count
            return .saved(notice: "saved \(n) message\(n == 1 ? "" : "s") to \(shown)")
        } catch {
            return .failed(SafeText.line(error.description))
        }
    }

    /// `~` and `~/…` as a shell would read them (the dialog is typed like a shell's argument).
    static func expandingHome(_ path: String) -> String {
        guard path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            return path
        }
        return home + path.dropFirst()
    }

    /// Where the file goes, for the notice: over SSH a bare name leaves one guessing which folder.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
