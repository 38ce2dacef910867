/// A small checker of XML well-formedness for the tests of the report's SVG: one root element,
/// tags nested and closed in order, attributes quoted and not repeated, `&` only in entity and
/// character references, no `<` in attribute values, no character XML 1.0 forbids.
///
/// Returns nil for a well-formed document, else what is wrong and where.
func xmlWellFormednessProblem(_ document: String) -> String? {
    let scalars = Array(document.unicodeScalars)
    var position = 0
    var open: [String] = []
    var roots = 0

    func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_" || scalar == ":" || scalar == "."
    }
    func name() -> String? {
        let start = position
        while position < scalars.count, isNameScalar(scalars[position]) { position += 1 }
        guard position > start, !("0"..."9").contains(scalars[start]), scalars[start] != "-" else { return nil }
        return String(String.UnicodeScalarView(scalars[start..<position]))
    }
    func skipSpace() {
        while position < scalars.count, [" ", "\t", "\n", "\r"].contains(scalars[position]) { position += 1 }
    }
    /// A reference after `&`, up to and including `;`.
    func reference() -> Bool {
        guard let end = scalars[position...].firstIndex(of: ";"), end - position <= 10 else { return false }
        let body = String(String.UnicodeScalarView(scalars[position..<end]))
        position = end + 1
        if ["amp", "lt", "gt", "quot", "apos"].contains(body) { return true }
        if body.hasPrefix("#x") { return body.count > 2 && UInt32(body.dropFirst(2), radix: 16) != nil }
        if body.hasPrefix("#") { return body.count > 1 && UInt32(body.dropFirst()) != nil }
        return false
    }

    while position < scalars.count {
        let scalar = scalars[position]
        let value = scalar.value
        if (value < 0x20 && value != 0x09 && value != 0x0A && value != 0x0D) || value == 0xFFFE || value == 0xFFFF {
            return "forbidden character U+\(String(value, radix: 16)) at \(position)"
        }
        if scalar == "&" {
            position += 1
            guard reference() else { return "a bare & at \(position)" }
            continue
        }
        if scalar != "<" {
            if open.isEmpty && !(scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r") {
                return "text outside the root element at \(position)"
            }
            position += 1
            continue
        }
        position += 1
        guard position < scalars.count else { return "document ends inside a tag" }
        if scalars[position] == "/" {
            position += 1
            guard let closing = name() else { return "bad end tag at \(position)" }
            skipSpace()
            guard position < scalars.count, scalars[position] == ">" else { return "end tag </\(closing) not closed" }
            position += 1
            guard open.last == closing else { return "</\(closing)> closes <\(open.last ?? "nothing")>" }
            open.removeLast()
            continue
        }
        guard let element = name() else { return "bad start tag at \(position)" }
        if open.isEmpty {
            roots += 1
            guard roots == 1 else { return "a second root element <\(element)>" }
        }
        var attributes: Set<String> = []
        while true {
            let beforeSpace = position
            skipSpace()
            guard position < scalars.count else { return "document ends inside <\(element)>" }
            if scalars[position] == ">" {
                position += 1
                open.append(element)
                break
            }
            if scalars[position] == "/" {
                guard position + 1 < scalars.count, scalars[position + 1] == ">" else { return "bad / in <\(element)>" }
                position += 2
                break
            }
            guard position > beforeSpace, let attribute = name() else { return "bad attribute in <\(element)> at \(position)" }
            guard attributes.insert(attribute).inserted else { return "attribute \(attribute) repeated in <\(element)>" }
            guard position < scalars.count, scalars[position] == "=" else { return "attribute \(attribute) without =" }
            position += 1
            guard position < scalars.count, scalars[position] == "\"" || scalars[position] == "'" else {
                return "attribute \(attribute) not quoted"
            }
            let quote = scalars[position]
            position += 1
            while true {
                guard position < scalars.count else { return "attribute \(attribute) not closed" }
                let inside = scalars[position]
                if inside == quote { position += 1; break }
                if inside == "<" { return "< in attribute \(attribute)" }
                if inside == "&" {
                    position += 1
                    guard reference() else { return "a bare & in attribute \(attribute)" }
                    continue
                }
                position += 1
            }
        }
    }
    guard open.isEmpty else { return "unclosed <\(open.joined(separator: "> <"))>" }
    guard roots == 1 else { return "no root element" }
    return nil
}
