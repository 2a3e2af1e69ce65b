#if canImport(Glibc)
import CMalloc
#endif

/// Gives the heap's free memory back to the system, where glibc would keep it in its free
/// lists (lists below the size it maps on their own). Called when much was just freed: a
/// finished file's batches, or an old model after an eviction rebuilt it (without this,
/// resident memory only grows, eviction after eviction, under a budget meant to bound it).
enum HeapRelease {
    static func trim() {
        #if canImport(Glibc)
        malloc_trim(0)
        #endif
    }
}
