import Foundation

/// A piecewise-linear color scale on [0, 1]: five anchor colors at 0, 0.25, 0.5, 0.75, 1, linearly
/// interpolated in sRGB between them. Because SVG gradients also interpolate linearly in sRGB, a
/// gradient with stops at the anchors shows exactly the colors the cells get.
///
/// Properties (tested): `color(at:)` returns the anchors exactly at the anchor values, clamps values
/// outside [0, 1], and returns `missingColor` for NaN.
public struct HeatMapColorScale: Sendable, Equatable {
    /// (red, green, blue) in 0 ... 255.
    public struct RGB: Sendable, Equatable {
        public let red: Double
        public let green: Double
        public let blue: Double

        public init(red: Double, green: Double, blue: Double) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        /// "#rrggbb", each channel rounded to the nearest integer.
        public var hex: String {
            func channel(_ value: Double) -> String {
                let byte = Int(min(255, max(0, value)).rounded())
                let digits = Array("0123456789abcdef")
                return String([digits[byte / 16], digits[byte % 16]])
            }
            return "#" + channel(red) + channel(green) + channel(blue)
        }

        /// WCAG relative luminance in [0, 1], used to pick black or white text on a cell.
        public var luminance: Double {
            func linear(_ channel: Double) -> Double {
                let c = channel / 255
                return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
        }
    }

    public let anchors: [RGB]
    public static let missingColor = RGB(red: 221, green: 221, blue: 221)

    public init(anchors: [RGB]) {
        precondition(anchors.count >= 2, "a color scale needs at least two anchors, got \(anchors.count)")
        self.anchors = anchors
    }

    /// Red below 0.5, white at 0.5, blue above: centred on chance accuracy, so "worse than chance" and
    /// "better than chance" read as opposite colors (ColorBrewer RdBu, 5 classes).
    public static let chanceCentred = HeatMapColorScale(anchors: [
        RGB(red: 202, green: 0, blue: 32), RGB(red: 244, green: 165, blue: 130), RGB(red: 247, green: 247, blue: 247),
        RGB(red: 146, green: 197, blue: 222), RGB(red: 5, green: 113, blue: 176),
    ])

    /// Dark purple to yellow, monotone in lightness (anchors sampled from viridis).
    public static let sequential = HeatMapColorScale(anchors: [
        RGB(red: 68, green: 1, blue: 84), RGB(red: 59, green: 82, blue: 139), RGB(red: 33, green: 145, blue: 140),
        RGB(red: 94, green: 201, blue: 98), RGB(red: 253, green: 231, blue: 37),
    ])

    /// The color of `value`, clamped into [0, 1]; `missingColor` for NaN.
    public func color(at value: Double) -> RGB {
        guard !value.isNaN else { return Self.missingColor }
        let clamped = min(1, max(0, value))
        let position = clamped * Double(anchors.count - 1)
        let index = min(Int(position), anchors.count - 2)
        let t = position - Double(index)
        let a = anchors[index]
        let b = anchors[index + 1]
        return RGB(red: a.red + t * (b.red - a.red), green: a.green + t * (b.green - a.green),
                   blue: a.blue + t * (b.blue - a.blue))
    }

    /// The text color that stays readable on `background`.
    static func textColor(on background: RGB) -> String {
        background.luminance < 0.35 ? "#ffffff" : "#111111"
    }
}
