#if canImport(Glibc)
import Glibc
#endif
import WireDecoding

/// What decoding threads (file loaders, network listeners) tell the thread that owns the model.
public enum IngestEvent: Sendable {
    /// A file was opened: its bytes back the payload offsets of the batches that follow.
    case inputOpened(source: Int, bytes: InputBytes)
    case batch(source: Int, MessageBatch)
    /// Bytes read so far of a file of `total` bytes.
    case progress(source: Int, done: Int, total: Int)
    /// The source's counters so far (a snapshot, not a delta).
    case counters(source: Int, DecodeCounters)
    case finished(source: Int, LoadReport)
    case failed(source: Int, String)
    /// The relay's counters so far (a snapshot): received packets forwarded upstream, or lost.
    case relay(RelayCounters)
}

/// A hand-over point between producer threads and the owner of the model: producers never wait
/// for the consumer, and the consumer can poll() one file descriptor to learn that work arrived
/// (next to the terminal's input, in the UI's event loop).
public final class IngestQueue: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var events: [IngestEvent] = []
    /// The newest counters of each source (and of the relay, as -1), not yet taken.
    private var latest: [Int: IngestEvent] = [:]
    private var waitingBytes = 0
    private var signalled = false
    private let pipeRead: Int32
    private let pipeWrite: Int32

    public init() {
        var fds: [Int32] = [0, 0]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        for fd in fds where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        pipeRead = fds[0]
        pipeWrite = fds[1]
        pthread_mutex_init(&mutex, nil)
    }

    deinit {
        close(pipeRead)
        close(pipeWrite)
        pthread_mutex_destroy(&mutex)
    }

    /// How long a consumer that has caught up (it took a small lot) lets events gather before it
    /// looks again: network threads hand over a batch per burst of datagrams, and waking for
    /// each cost more than the data in it (a sixth of a listener's CPU at 100,000 packets/s).
    public static let gatherInterval = 0.002

    /// Becomes readable when events are waiting.
    public var wakeFileDescriptor: Int32 { pipeRead }

    public func post(_ event: IngestEvent) {
        pthread_mutex_lock(&mutex)
        // Counters are snapshots: the newest replaces the one still waiting, and goes ahead of
        // the batches, so that a consumer working through a backlog shows rates and drops as
        // they are now, not as they were when the backlog's end arrived.
        switch event {
        case .counters(let source, _): latest[source] = event
        case .relay: latest[-1] = event
        default:
            events.append(event)
            waitingBytes += event.heldBytes
        }
        let wake = !signalled
        signalled = true
        pthread_mutex_unlock(&mutex)
        if wake {
            var one: UInt8 = 1
            _ = write(pipeWrite, &one, 1)
        }
    }

    /// Wakes the consumer without an event (work of its own became ready: an eviction made
    /// aside).
    public func wake() {
        var one: UInt8 = 1
        _ = write(pipeWrite, &one, 1)
    }

    /// Takes the waiting events, oldest first: all of them, or the first `limit`. A consumer
    /// that takes a few at a time leaves the rest here, where `pendingBytes` shows producers
    /// how far behind it is; the wake-up stays set while any are left.
    public func drain(upTo limit: Int = .max) -> [IngestEvent] {
        // Empty the pipe before taking the events: emptied after, it could swallow the byte of
        // a post made in between, whose event would then wait with no wake-up to come.
        var sink = [UInt8](repeating: 0, count: 64)
        while read(pipeRead, &sink, sink.count) > 0 {}
        pthread_mutex_lock(&mutex)
        var taken = latest.sorted { $0.key < $1.key }.map(\.value)
        latest.removeAll(keepingCapacity: true)
        if limit >= events.count {
            taken += events
            events.removeAll(keepingCapacity: true)
            waitingBytes = 0
        } else {
            let first = events.prefix(limit)
            taken += first
            events.removeFirst(limit)
            waitingBytes -= first.reduce(0) { $0 + $1.heldBytes }
        }
        let more = !events.isEmpty
        signalled = more
        pthread_mutex_unlock(&mutex)
        if more {
            var one: UInt8 = 1
            _ = write(pipeWrite, &one, 1)
        }
        return taken
    }

    /// Batches waiting, for producers that may slow down (file loaders) rather than drop.
    public var pendingCount: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return events.count
    }

    /// Memory the waiting batches hold (payload copies and their records), for producers that
    /// drop rather than let a backlog grow without bound (network listeners).
    public var pendingBytes: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return waitingBytes
    }

    /// Waits until something is posted or `timeoutMilliseconds` pass (for consumers without
    /// an event loop of their own, such as `print` with listeners).
    public func wait(timeoutMilliseconds: Int32) {
        var p = pollfd(fd: pipeRead, events: Int16(POLLIN), revents: 0)
        _ = poll(&p, 1, timeoutMilliseconds)
    }
}

extension IngestEvent {
    /// What a waiting event keeps in memory (a batch's buffer and entries).
    var heldBytes: Int {
        if case .batch(_, let b) = self { return b.memoryBytes }
        return 0
    }
}
