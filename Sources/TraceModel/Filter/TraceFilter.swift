import WireDecoding

/// A filter expression over calls and messages, shared by `print --filter` and the viewer:
///
///     method:INVITE status:486 from:alice to:bob callid:abc corr:run-1
///     src:127.0.0.1:5060 dst:10.0.0.1 state:busy /regex/ /case-insensitive/i
///
/// Terms side by side must all hold (an implicit `and`); `and`, `or`, `not` (or `!`) and
/// parentheses combine them. Text comparisons ignore case; `from`, `to`, `callid` and `corr`
/// match a part of the value, `method`, `state` and `status` the whole of it (`status:4xx`
/// names a class). A word without a field looks in Call-ID, From, To and correlation id.
public struct TraceFilter: Sendable, CustomStringConvertible {
    public indirect enum Node: Sendable {
        case term(Term)
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
    }

    public enum Term: Sendable {
        case method(String)               // upper-cased
        case status(StatusPattern)
        case fromUser(String)             // lower-cased
        case toUser(String)
        case callID(String)
        case correlation(String)
        case source(EndpointPattern)
        case destination(EndpointPattern)
        case state(CallState)
        case payload(PayloadPattern)
        case anyText(String)              // lower-cased; Call-ID, From, To, correlation id
    }

    public enum StatusPattern: Sendable, Equatable {
        case exact(UInt16)
        case range(ClosedRange<UInt16>)   // 4xx
        func matches(_ s: UInt16) -> Bool {
            switch self {
            case .exact(let v): s == v
            case .range(let r): r.contains(s)
            }
        }
    }

    /// An address, with or without a port.
    public struct EndpointPattern: Sendable, Equatable {
        public var address: IPAddress
        public var port: UInt16?
        func matches(_ e: Endpoint) -> Bool { e.address == address && (port == nil || port == e.port) }
    }

    /// `/pattern/` or `/pattern/i`.
    public struct PayloadPattern: @unchecked Sendable {
        public var source: String
        public var ignoresCase: Bool
        // Regex is a value type without Sendable conformance; it is only read after parsing.
        let regex: Regex<AnyRegexOutput>
    }

    public struct ParseError: Error, CustomStringConvertible, Sendable, Equatable {
        /// 0-based character offset into the expression.
        public var position: Int
        public var message: String
        public var description: String { "at column \(position + 1): \(message)" }
    }

    public let expression: String
    public let root: Node

    public var description: String { expression }

    /// The field names, for help texts and error messages.
    public static let fields = ["method", "status", "from", "to", "callid", "corr", "src", "dst", "state"]

    public static func parse(_ text: String) throws(ParseError) -> TraceFilter {
        var parser = FilterParser(text)
        let root = try parser.parseExpression()
        return TraceFilter(expression: text, root: root)
    }
}
