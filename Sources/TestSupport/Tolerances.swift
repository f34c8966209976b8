import LinearAlgebra
import XCTest

/// |a - b| / max(1, |b|): the agreement measure the project reports everywhere, relative for large
/// values and absolute near zero.
public func relativeDifference(_ a: Double, _ b: Double) -> Double {
    abs(a - b) / max(1, abs(b))
}

/// The largest `relativeDifference` over two equally long arrays; NaN if any entry is NaN (Swift's
/// `max` would drop a NaN that does not come first, and a NaN run would pass every tolerance).
public func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    NaNPropagating.maxRelativeDifference(a, b)
}

/// Asserts every entry agrees to `tolerance` in the `relativeDifference` sense, reporting the worst entry.
public func assertClose(_ a: [Double], _ b: [Double], tolerance: Double, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line)
{
    XCTAssertEqual(a.count, b.count, "lengths differ \(message)", file: file, line: line)
    guard a.count == b.count else { return }
    if a.isEmpty { return }
    var worst = -1.0
    var worstIndex = 0
    for index in a.indices {
        let difference = relativeDifference(a[index], b[index])
        if difference.isNaN || difference > worst {
            worst = difference
            worstIndex = index
            if difference.isNaN { break }
        }
    }
    XCTAssert(worst <= tolerance,
              "entry \(worstIndex): \(a[worstIndex]) vs \(b[worstIndex]), difference \(worst) > \(tolerance) \(message)",
              file: file, line: line)
}

/// Matrix form of `assertClose`.
public func assertClose(_ a: Matrix, _ b: Matrix, tolerance: Double, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line)
{
    XCTAssertEqual(a.rows, b.rows, "row counts differ \(message)", file: file, line: line)
    XCTAssertEqual(a.columns, b.columns, "column counts differ \(message)", file: file, line: line)
    assertClose(a.elements, b.elements, tolerance: tolerance, message, file: file, line: line)
}
