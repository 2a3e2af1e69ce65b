#if canImport(Glibc)
import Glibc
#endif

/// Starts a thread that nobody joins, and says whether it started. Foundation's `Thread`
/// cannot: when the system refuses a thread (a limit on threads or memory), its body never
/// runs and whoever waits for it waits for ever. Callers here fall back instead: a loader
/// reports the failure, an eviction is rebuilt on the calling thread.
enum DetachedThread {
    /// The error number when the thread could not be made (nil: it runs `body`).
    @discardableResult
    static func start(name: String, stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Void) -> Int32? {
        final class Work {
            let name: String
            let body: @Sendable () -> Void
            init(name: String, body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let work = Unmanaged.passRetained(Work(name: name, body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { raw in
            let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
            // Named as `top -H` and `perf` show it (glibc's pthread_setname_np is not exported
            // to Swift); the system keeps 15 bytes.
            let comm = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if comm >= 0 {
                let bytes = Array(work.name.utf8.prefix(15))
                _ = write(comm, bytes, bytes.count)
                close(comm)
            }
            work.body()
            return nil
        }, work)
        guard result == 0 else {
            Unmanaged<AnyObject>.fromOpaque(work).release()
            return result
        }
        return nil
    }

    /// Why a thread could not be made, for a user.
    static func failure(_ what: String, _ error: Int32) -> String {
        "cannot start a thread to \(what): \(String(cString: strerror(error)))"
    }
}
