#if canImport(Glibc)
import Glibc
#endif
import TraceModel
import WireDecoding

/// The model and what is known about each source, owned by one thread (the UI's, or `print`'s).
/// Producer threads post IngestEvents; `apply` folds them in.
public struct TraceSession {
    public struct Source: Sendable {
        public enum Kind: Sendable { case file, listener }
        public var name: String
        public var kind: Kind
        public var counters = DecodeCounters()
        public var bytesDone = 0
        public var bytesTotal = 0
        public var finished = false
        public var failure: String?
        public var report: LoadReport?
        var input: UInt16 = 0
        /// (monotonic seconds, packets) of recent counter updates, for the rate.
        var samples: [(Double, Int)] = []

        /// Packets per second over the last two seconds or so (counters come ten times a
        /// second): short enough that a burst shows near its real rate and a stop soon shows.
        public var rate: Double {
            guard let first = samples.first, let last = samples.last, last.0 > first.0 else { return 0 }
            return Double(last.1 - first.1) / (last.0 - first.0)
        }
        static let rateWindow = 2.0

        mutating func sample(_ packets: Int, at t: Double) {
            samples.append((t, packets))
            while let first = samples.first, t - first.0 > Source.rateWindow, samples.count > 2 { samples.removeFirst() }
        }

        public init(name: String, kind: Kind) {
            self.name = name
            self.kind = kind
        }

        /// 0...1 for files; nil for listeners.
        public var progress: Double? {
            guard kind == .file, bytesTotal > 0 else { return nil }
            return Double(bytesDone) / Double(bytesTotal)
        }
    }

    public var store: TraceStore
    public private(set) var sources: [Source] = []
    /// What the relay upstream did, when received packets are relayed.
    public private(set) var relay: RelayCounters?
    /// Where the spool file for payloads of sources without a file of their own (listeners,
    /// pipes, replays) may go, first that works; empty: those payloads stay in memory.
    public var spoolDirectories = SpoolFile.defaultDirectories
    private var spool: PayloadSpool?
    private var spoolInput: UInt16 = 0
    private var spoolTried = false
    private var spools: [PayloadSpool] = []
    private var keptInMemoryWhileWaiting = 0
    /// Address space mapped for each spool file; when one is full, another is started.
    var spoolReserve = InputBytes.maximumInflatedSize
    /// How much may still be written to a spool file's disk (tests pass their own).
    var spoolRoom: @Sendable (Int32) -> Int? = { SpoolFile.room($0) }
    /// With `evictionsByOwner`: the eviction being rebuilt on another thread, and the batches
    /// (and sources' progress, ends and failures) that came in meanwhile, held back in order
    /// until it is adopted.
    private var eviction: AsideEviction?
    private var held: [HeldWork] = []
    private enum HeldWork {
        case batch(MessageBatch, input: UInt16, payloadInput: UInt16?)
        /// A file's progress and its end (or failure) wait with its batches: shown at once, a
        /// file would look loaded (or further on) before its last messages are in the model.
        case progress(source: Int, done: Int, total: Int)
        case finished(source: Int, LoadReport)
        case failed(source: Int, String)
    }
    /// Called on the rebuild's thread when an eviction made aside is ready to be adopted (a
    /// viewer wakes its loop, which then calls `advance`).
    public var evictionReady: @Sendable () -> Void = {}
    /// Runs on the rebuild's thread before it starts (tests hold it there).
    var beforeEvictionRebuild: @Sendable () -> Void = {}

    public init(configuration: TraceStore.Configuration = .init()) {
        store = TraceStore(configuration: configuration)
    }

    /// Registers a source before its producer starts; returns its number.
    public mutating func addSource(name: String, kind: Source.Kind) -> Int {
        sources.append(Source(name: name, kind: kind))
        return sources.count - 1
    }

    /// A source's name once it is known better (a listener on port 0 and the port it got).
    public mutating func renameSource(_ s: Int, to name: String) {
        sources[s].name = name
    }

    /// Folds events in; returns true when anything visible changed (batches held back while
    /// an eviction is rebuilt change nothing yet).
    @discardableResult
    public mutating func apply(_ events: [IngestEvent]) -> Bool {
        var changed = false
        let evictionsBefore = store.counters.evictions
        defer {
            if store.counters.evictions != evictionsBefore {
                HeapRelease.trim()
                // Evicted payloads gave disk space back: a spool waiting for room looks again.
                spool?.retryRoom()
            }
        }
        for event in events {
            switch event {
            case .batch, .progress, .finished, .failed: if !hasHeldWork { changed = true }
            default: changed = true
            }
            switch event {
            case .inputOpened(let s, let bytes):
                sources[s].input = store.addInput(bytes)
                // A SIP message takes a few hundred bytes of a capture: this is more than the
                // file will fill, which costs address space only. (Not while a rebuild shares
                // the model's lists: growing them would copy them.)
                if !hasHeldWork { store.reserveCapacity(forMoreMessages: bytes.expectedCount / 256) }
            case .batch(let s, var batch):
                let input = sources[s].input
                var payloadInput: UInt16?
                if input == 0, let (spoolID, offset) = spooled(batch) {
                    // The payloads stay in the spool file; the model keeps offsets into it.
                    batch.bytesInInput = offset
                    payloadInput = spoolID
                }
                if hasHeldWork {
                    held.append(.batch(batch, input: input, payloadInput: payloadInput))
                    heldBytes += batch.memoryBytes
                } else {
                    store.add(batch, input: input, payloadInput: payloadInput)
                }
            case .progress(let s, let done, let total):
                if hasHeldWork {
                    held.append(.progress(source: s, done: done, total: total))
                } else {
                    sources[s].bytesDone = done
                    sources[s].bytesTotal = total
                }
            case .counters(let s, let c):
                sources[s].counters = c
                sources[s].sample(c.packets, at: TraceSession.monotonicSeconds())
            case .relay(let r):
                relay = r
            case .finished(let s, let report):
                if hasHeldWork {
                    held.append(.finished(source: s, report))
                    continue
                }
                finish(source: s, report)
                if store.configuration.evictionsByOwner {
                    store.budgetCheckDue = true
                } else {
                    store.enforceMemoryLimit()
                }
            case .failed(let s, let why):
                if hasHeldWork {
                    held.append(.failed(source: s, why))
                } else {
                    fail(source: s, why)
                }
            }
        }
        startEvictionIfDue()
        return changed
    }

    private mutating func fail(source s: Int, _ why: String) {
        sources[s].failure = why
        sources[s].finished = true
    }

    private mutating func finish(source s: Int, _ report: LoadReport) {
        sources[s].finished = true
        sources[s].report = report
        // The file's batches (up to 64 at a time, with copies of their payloads) went through
        // the heap on their way in: what they held goes back to the system now.
        HeapRelease.trim()
    }

    // MARK: evictions made aside

    /// Memory the batches held back take (their entries, and payload copies).
    public private(set) var heldBytes = 0
    /// Enough is held back while an eviction is rebuilt: the owner leaves more in its ingest
    /// queue, where file loaders wait for room and listeners see how far behind it is.
    public var holdsEnough: Bool { eviction != nil && heldBytes >= TraceSession.heldBytesLimit }
    static let heldBytesLimit = 64 << 20

    /// An eviction is being rebuilt, or what came in meanwhile is not all added yet.
    public var hasHeldWork: Bool { eviction != nil || !held.isEmpty }

    /// An eviction is being rebuilt on another thread (`evictionReady` comes when it is done).
    public var isEvictingAside: Bool { eviction != nil }

    /// With `evictionsByOwner`, past two thirds of the budget: the rebuild starts on another
    /// thread from a copy of the model, which stays as it is here until the outcome is adopted.
    private mutating func startEvictionIfDue(stillHeldFrom first: Int = 0) {
        guard eviction == nil, store.budgetCheckDue else { return }
        store.budgetCheckDue = false
        guard store.isOverBudget else { return }
        // Batches still held from the last eviction were spooled already, past the model's own
        // payloads: the copy must not see (nor its adoption give back) their bytes.
        var heldFrom: [UInt16: Int] = [:]
        for case .batch(let batch, _, let payloadInput?) in held[first...] {
            if let offset = batch.bytesInInput { heldFrom[payloadInput] = min(heldFrom[payloadInput] ?? .max, offset) }
        }
        eviction = AsideEviction(of: store.readableAside(heldFrom: heldFrom), first: beforeEvictionRebuild,
                                 whenDone: evictionReady)
    }

    /// Adopts an eviction made aside once it is ready, then adds what was held back meanwhile,
    /// up to `limit` batches (the rest at later calls; another eviction may start on the way).
    /// True when the model (or a source's progress) changed.
    @discardableResult
    public mutating func advance(batches limit: Int = .max) -> Bool {
        var changed = false
        if let running = eviction {
            guard let adopted = adopt(running) else { return false }
            changed = adopted
        }
        var taken = 0, batches = 0
        while eviction == nil, taken < held.count, batches < limit {
            switch held[taken] {
            case .batch(let batch, let input, let payloadInput):
                store.add(batch, input: input, payloadInput: payloadInput)
                heldBytes -= batch.memoryBytes
                batches += 1
            case .progress(let s, let done, let total):
                sources[s].bytesDone = done
                sources[s].bytesTotal = total
            case .finished(let s, let report):
                finish(source: s, report)
                store.budgetCheckDue = true
            case .failed(let s, let why): fail(source: s, why)
            }
            taken += 1
            startEvictionIfDue(stillHeldFrom: taken)
        }
        held.removeFirst(taken)
        return changed || taken > 0
    }

    /// Takes the outcome of `running` in place of the model once it is ready (nil: not yet;
    /// false: nothing had to go). Its own function, so that no reference to the rebuilt model
    /// outlives it: the batches added next would copy a model held twice.
    private mutating func adopt(_ running: AsideEviction) -> Bool? {
        guard let done = running.take() else { return nil }
        eviction = nil
        guard let outcome = done else { return false }
        // Held here only until the rebuilt model replaces it, then freed aside.
        let old = AsideEviction.OldModel(store)
        // Nothing was added to the model since its copy was made: adopting cannot fail.
        guard store.adopt(outcome) else { return false }
        AsideEviction.release(old)
        spool?.retryRoom()
        return true
    }

    /// Waits for an eviction made aside and adds all that was held back (a run that ends).
    public mutating func finishHeldWork() {
        while hasHeldWork {
            if !advance(), eviction != nil { usleep(1000) }
        }
    }

    /// Writes the batch's bytes to the spool file (made on first use); its input id and where
    /// they went, or nil when they stay in memory (no spool file, or it takes no more).
    private mutating func spooled(_ batch: MessageBatch) -> (UInt16, Int)? {
        if !spoolTried {
            spoolTried = true
            startSpool()
        }
        guard let current = spool else { return nil }
        if let offset = batch.withBytes({ current.append($0) }) { return (spoolInput, offset) }
        if current.waitsForRoom {
            // Meanwhile payloads stay in memory; every 64 MiB of them, the disk is looked at
            // again (another process may have freed space).
            keptInMemoryWhileWaiting += batch.byteCount
            if keptInMemoryWhileWaiting >= SpoolFile.roomCheckStep {
                keptInMemoryWhileWaiting = 0
                current.retryRoom()
            }
            return nil
        }
        // A session of days fills a spool's reserve: the next one takes over (the full one
        // stays, for the payloads in it, and gives their space back as they are evicted).
        guard current.isFull else { return nil }
        guard startSpool(), let next = spool else {
            spool = nil  // no new spool file can be made: payloads stay in memory from now on
            return nil
        }
        guard let offset = batch.withBytes({ next.append($0) }) else { return nil }
        return (spoolInput, offset)
    }

    @discardableResult
    private mutating func startSpool() -> Bool {
        guard !spoolDirectories.isEmpty,
              let made = PayloadSpool(directories: spoolDirectories, reserve: spoolReserve, room: spoolRoom) else { return false }
        spool = made
        spools.append(made)
        spoolInput = store.addInput(made)
        return true
    }

    /// The live payloads' spool files: bytes written, and disk space taken now.
    public var spoolUsage: (written: Int, onDisk: Int) {
        spools.reduce((0, 0)) { ($0.0 + $1.count, $0.1 + $1.diskBytes) }
    }

    /// All sources' counters added up.
    public var totalCounters: DecodeCounters {
        var all = DecodeCounters()
        for s in sources { all.add(s.counters) }
        return all
    }

    public var isLoading: Bool { sources.contains { $0.kind == .file && !$0.finished } }

    static func monotonicSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
