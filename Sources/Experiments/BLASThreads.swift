import CLAPACK
import RewardDynamics

/// OpenBLAS's thread count. At the sizes of these models (matrices of tens to a few hundred rows) one
/// thread per product is faster than several: the TinyLM benchmarks measured it, and the experiments run
/// independent seeds on separate threads instead.
public enum BLASThreads {
    /// openblas_set_num_threads(1); the same as OPENBLAS_NUM_THREADS=1 in the environment.
    public static func useSingleThread() {
        openblas_set_num_threads(1)
    }
}
