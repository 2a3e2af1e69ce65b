import TraceExport
import TraceModel
import TraceOutput
import TraceViewer

/// Carries out a save asked for in the viewer's dialog, and says how it went (as a notice).
enum SaveRunner {
    static func perform(_ request: SaveRequest, model: ViewerModel, filter: TraceFilter?) -> String {
        let selection = request.scope.selection(model, filter: filter)
        do {
            let bytes = try request.format.render(model.store, selection, filterText: filter?.expression)
            try AtomicFile.write(bytes, to: request.path)
            return "saved \(selection.messages.count) message\(selection.messages.count == 1 ? "" : "s") to \(SafeText.line(request.path))"
        } catch {
            return "not saved: " + SafeText.line(error.description)
        }
    }
}
