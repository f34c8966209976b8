import Foundation
import TheorycheckCore
import XCTest

final class JSONOutputTests: XCTestCase {
    private struct Figures: Encodable {
        let someValue: Double
        let perSet: [String: Double]
    }

    private struct Undefined: Encodable {
        let accuracy: Double
        let fraction: Double?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeFigure(accuracy, forKey: .accuracy)
            try container.encodeFigure(fraction, forKey: .fraction)
        }

        enum CodingKeys: String, CodingKey { case accuracy, fraction }
    }

    func testPropertyNamesAreSnakeCaseAndDictionaryKeysAreKept() throws {
        let text = try JSONOutput.encode(Figures(someValue: 1.5, perSet: ["myParaphrase": 2]))
        XCTAssertTrue(text.contains("\"some_value\" : 1.5"), text)
        XCTAssertTrue(text.contains("\"per_set\""), text)
        XCTAssertTrue(text.contains("\"myParaphrase\" : 2"), text)
    }

    func testANonFiniteFigureIsAnErrorNamingWhereItIs() {
        for value in [Double.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try JSONOutput.encode(Figures(someValue: 0, perSet: ["paraphrase": value]))) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains("paraphrase"), message)
                XCTAssertTrue(message.contains("non-finite"), message)
            }
        }
    }

    func testUndefinedFiguresAreNullNeverAString() throws {
        let text = try JSONOutput.encode(Undefined(accuracy: .nan, fraction: nil))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertTrue(json["accuracy"] is NSNull, text)
        XCTAssertTrue(json["fraction"] is NSNull, text)
        XCTAssertFalse(text.contains("nan"), text)
        let defined = try JSONOutput.encode(Undefined(accuracy: 0.25, fraction: .nan))
        XCTAssertTrue(defined.contains("\"accuracy\" : 0.25"), defined)
        XCTAssertTrue(defined.contains("\"fraction\" : null"), defined)
        XCTAssertThrowsError(try JSONOutput.encode(Undefined(accuracy: .infinity, fraction: nil)),
                             "an infinite figure is a diverged run, not an undefined one")
    }
}
