import LinearAlgebra
import RewardDynamics
import TestSupport
import XCTest

final class GramMatrixTests: XCTestCase {
    func testKernelsOnTrainingSequencesAreSymmetricPositiveSemidefinite() throws {
        try propertySweep(seeds: 0..<6, shapes: Fixtures.shapes) { sweep, shape in
            let instance = try Fixtures.instance(shape, using: &sweep.generator)
            let layout = SequenceLayout(instance)
            let explicit = ExplicitRewardDynamics(layout: layout, readout: .lastPosition, initialHead: instance.head)
            let implicit = ImplicitRewardDynamics(instance: instance, layout: layout, reference: .frozenInitial)
            let blocks = [
                explicit.kernel.materialized().selectingRows(layout.trainSequences),
                implicit.contextKernel.materialized().selectingRows(layout.trainContextRows),
            ]
            for block in blocks {
                // Entries are dot products of unit-scale vectors; both orders round alike to ~1e-16.
                assertClose(block, block.transposed, tolerance: 1e-14)
                let eigenvalues = try SymmetricEigendecomposition(block).eigenvalues
                XCTAssertGreaterThanOrEqual(eigenvalues.first!, -1e-12 * max(1, eigenvalues.last!))
            }
        }
    }
}
