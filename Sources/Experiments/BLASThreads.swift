import CLAPACK
import RewardDynamics

/// OpenBLAS's thread count. At the sizes of these models (matrices of tens to a few hundred rows) one
/// thread per product is faster than several: the TinyLM benchmarks measured it. The experiments use
/// the cores themselves instead (`TinyLM.threads` inside a step, independent runs side by side), and a
/// second BLAS thread would only spin in sched_yield between the products of a step.
public enum BLASThreads {
    /// openblas_set_num_threads(1); the same as OPENBLAS_NUM_THREADS=1 in the environment.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }

    /// openblas_set_num_threads(count), for the bench's multi-threaded gemm references.
    public static func use(_ count: Int) {
        precondition(count >= 1, "BLAS needs at least one thread, got \(count)")
        openblas_set_num_threads(Int32(count))
    }

    /// The current setting.
    public static var count: Int {
        Int(openblas_get_num_threads())
    }
}
