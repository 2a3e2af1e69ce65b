import ArgumentParser

@main
struct Hepscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hepscope",
        abstract: "A terminal viewer for SIP traces: HEP (with correlation ids) and pcap/pcapng captures.",
        version: "0.1.0",
        subcommands: [ViewCommand.self, PrintCommand.self, SaveCommand.self, BenchCommand.self, ReplayCommand.self],
        defaultSubcommand: ViewCommand.self
    )
}
