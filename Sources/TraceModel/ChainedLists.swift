/// Many short lists (a call's transactions, its dialogs) in one shared array, each a chain from
/// its newest element back to its first. A list costs its elements and a link each, where an
/// array per call cost a header and an allocation besides: a hundred bytes a call at a million
/// messages. Lists only grow; the model is rebuilt, not edited, when it sheds whole groups.
public struct ChainedLists<Element: Sendable>: Sendable {
    private var nodes: [(element: Element, previous: Int32)] = []

    public init() {}

    /// Appends `element` to the list whose newest node is `head` (-1: empty list) and returns
    /// the list's new head.
    mutating func append(_ element: Element, to head: Int32) -> Int32 {
        nodes.append((element, head))
        return Int32(nodes.count - 1)
    }

    subscript(node: Int32) -> Element {
        get { nodes[Int(node)].element }
        set { nodes[Int(node)].element = newValue }
    }

    func previous(_ node: Int32) -> Int32 { nodes[Int(node)].previous }

    /// The first node from the newest back, with its position in the list (0: the oldest), for
    /// which `match` holds.
    func lastNode(from head: Int32, count: Int, where match: (Element) -> Bool) -> (node: Int32, position: Int)? {
        var node = head, position = count - 1
        while node >= 0 {
            if match(nodes[Int(node)].element) { return (node, position) }
            node = nodes[Int(node)].previous
            position -= 1
        }
        return nil
    }

    /// The list, oldest first.
    func list(from head: Int32) -> [Element] {
        var out: [Element] = []
        var node = head
        while node >= 0 {
            out.append(nodes[Int(node)].element)
            node = nodes[Int(node)].previous
        }
        return out.reversed()
    }

    var memoryBytes: Int { nodes.capacity * MemoryLayout<(element: Element, previous: Int32)>.stride }
    var usedBytes: Int { nodes.count * MemoryLayout<(element: Element, previous: Int32)>.stride }
}
