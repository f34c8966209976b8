extension KeyedEncodingContainer {
    /// Writes a figure that may be undefined (NaN: an accuracy over no pairs, a quartile of an empty
    /// group) as JSON null, and every other value as a number. The field's documentation says when it is
    /// undefined; a result's own fields (such as a pair count of 0) say why. Infinities still reach the
    /// encoder, which refuses them (`JSONOutput`): an infinite figure is a diverged run, not an
    /// undefined one.
    public mutating func encodeFigure(_ value: Double, forKey key: Key) throws {
        if value.isNaN { try encodeNil(forKey: key) } else { try encode(value, forKey: key) }
    }

    /// As `encodeFigure(_:forKey:)`; nil (no figure at all, e.g. no separator) is null as well.
    public mutating func encodeFigure(_ value: Double?, forKey key: Key) throws {
        if let value { try encodeFigure(value, forKey: key) } else { try encodeNil(forKey: key) }
    }
}
