#if canImport(Glibc)
import CMalloc
#endif
import TraceModel

/// Gives the heap's free memory back to the system after the model was rebuilt without evicted
/// groups. The old model's lists are mostly below the size glibc maps on their own: without
/// this they stay in the heap's free lists, and resident memory only grows, eviction after
/// eviction, under a budget meant to bound it.
enum HeapRelease {
    static func afterEvictions(in store: TraceStore, countedBefore: Int) {
        #if canImport(Glibc)
        if store.counters.evictions != countedBefore { malloc_trim(0) }
        #endif
    }
}
