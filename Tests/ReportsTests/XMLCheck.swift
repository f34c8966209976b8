import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// What an XML parse of a document found: whether it is well-formed, the root element, every element
/// with its attributes, and the text content.
final class XMLCheck: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
    }

    private(set) var elements: [Element] = []
    private(set) var text = ""
    private(set) var texts: [String] = []
    private var current = ""
    private(set) var wellFormed = false
    private(set) var errorDescription = ""

    init(_ document: String) {
        super.init()
        let parser = XMLParser(data: Data(document.utf8))
        parser.delegate = self
        wellFormed = parser.parse()
        if let error = parser.parserError { errorDescription = "\(error)" }
    }

    var root: Element? { elements.first }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:])
    {
        elements.append(Element(name: elementName, attributes: attributeDict))
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
        current += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?)
    {
        if elementName == "text" { texts.append(current) }
        current = ""
    }

    /// Elements with the given name.
    func elements(named name: String) -> [Element] {
        elements.filter { $0.name == name }
    }
}

/// Asserts `svg` is a well-formed standalone SVG document: XML parses, root `svg` in the SVG namespace
/// with version 1.1, and no numeric attribute holds a NaN or infinity.
func assertWellFormedSVG(_ svg: String, file: StaticString = #filePath, line: UInt = #line) {
    let check = XMLCheck(svg)
    XCTAssertTrue(check.wellFormed, "not well-formed XML: \(check.errorDescription)", file: file, line: line)
    XCTAssertEqual(check.root?.name, "svg", file: file, line: line)
    XCTAssertEqual(check.root?.attributes["xmlns"], "http://www.w3.org/2000/svg", file: file, line: line)
    XCTAssertEqual(check.root?.attributes["version"], "1.1", file: file, line: line)
    let numeric = ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "d", "points", "transform"]
    for element in check.elements {
        for name in numeric {
            guard let value = element.attributes[name]?.lowercased() else { continue }
            XCTAssertFalse(value.contains("nan") || value.contains("inf"),
                           "\(element.name) has \(name)=\"\(value)\"", file: file, line: line)
        }
    }
}
