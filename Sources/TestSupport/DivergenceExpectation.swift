import LinearAlgebra
import XCTest

/// The `DivergenceError` that `body` throws, or nil after recording a failure when it throws nothing or
/// something else: the one check the divergence tests of every layer share.
public func expectDivergence(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line)
    -> DivergenceError?
{
    do {
        try body()
        XCTFail("expected a DivergenceError", file: file, line: line)
    } catch let error as DivergenceError {
        return error
    } catch {
        XCTFail("expected a DivergenceError, got \(error)", file: file, line: line)
    }
    return nil
}
