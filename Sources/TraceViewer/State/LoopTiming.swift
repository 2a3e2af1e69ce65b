/// The pace of the viewer's loop, shared by the terminal front and the viewer benchmark so that
/// what is measured is what runs.
public enum LoopTiming {
    /// At most this many frames a second.
    public static let frameInterval = 1.0 / 30
    /// Longest the loop folds data in before it looks at the keyboard again. With a batch of
    /// messages running over it and a frame after it, a key that arrives meanwhile is still
    /// answered well within 50 ms.
    public static let ingestBudget = 0.012
}
