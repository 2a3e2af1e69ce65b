/// The request methods people filter and colour by; anything else keeps its text.
public enum SIPMethod: UInt8, Sendable, CaseIterable {
    case invite, ack, bye, cancel, register, options, info, update, prack
    case subscribe, notify, refer, message, publish
    case other

    public var name: String {
        switch self {
        case .invite: "INVITE"
        case .ack: "ACK"
        case .bye: "BYE"
        case .cancel: "CANCEL"
        case .register: "REGISTER"
        case .options: "OPTIONS"
        case .info: "INFO"
        case .update: "UPDATE"
        case .prack: "PRACK"
        case .subscribe: "SUBSCRIBE"
        case .notify: "NOTIFY"
        case .refer: "REFER"
        case .message: "MESSAGE"
        case .publish: "PUBLISH"
        case .other: "OTHER"
        }
    }

    /// Matches method tokens exactly (methods are case-sensitive in SIP).
    public init(token: UnsafeRawBufferPointer) {
        switch token.count {
        case 3:
            if token.hasBytes("ACK") { self = .ack; return }
            if token.hasBytes("BYE") { self = .bye; return }
        case 4:
            if token.hasBytes("INFO") { self = .info; return }
        case 5:
            if token.hasBytes("PRACK") { self = .prack; return }
            if token.hasBytes("REFER") { self = .refer; return }
        case 6:
            if token.hasBytes("INVITE") { self = .invite; return }
            if token.hasBytes("CANCEL") { self = .cancel; return }
            if token.hasBytes("UPDATE") { self = .update; return }
            if token.hasBytes("NOTIFY") { self = .notify; return }
        case 7:
            if token.hasBytes("OPTIONS") { self = .options; return }
            if token.hasBytes("MESSAGE") { self = .message; return }
            if token.hasBytes("PUBLISH") { self = .publish; return }
        case 8:
            if token.hasBytes("REGISTER") { self = .register; return }
        case 9:
            if token.hasBytes("SUBSCRIBE") { self = .subscribe; return }
        default: break
        }
        self = .other
    }
}
