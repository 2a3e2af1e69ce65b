#if canImport(Glibc)
import Glibc
#endif

/// What one run of a program cost, as the kernel accounted it.
public struct ProcessCost: Sendable {
    public var command: [String]
    public var exitStatus: Int32
    public var wallSeconds: Double
    public var cpuSeconds: Double
    public var peakRSSBytes: Int
}

/// Runs programs with their output discarded and reads their wall time, CPU time and peak
/// resident memory from wait4's rusage, the same figures /usr/bin/time reports.
public enum ProcessMeasurement {
    public static func which(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    public static func run(_ command: [String]) -> ProcessCost? {
        guard let executable = command.first else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var pid: pid_t = 0
        guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return nil }
        guard let (status, usage, peak) = waitMeasuring(pid) else { return nil }
        var end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &end)
        let wall = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime)
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessCost(command: command, exitStatus: exit, wallSeconds: wall, cpuSeconds: cpu, peakRSSBytes: peak)
    }

    /// Waits for `pid`, reading its peak resident memory (VmHWM) from /proc every few
    /// milliseconds while it runs. The kernel's ru_maxrss cannot be used for a child started
    /// with posix_spawn: glibc starts it sharing this process's memory until exec, and exec
    /// folds this process's peak into the child's. VmHWM is the exec'd program's own.
    /// Falls back to ru_maxrss for a child gone before the first reading.
    static func waitMeasuring(_ pid: pid_t) -> (status: Int32, usage: rusage, peakBytes: Int)? {
        var status: Int32 = 0
        var usage = rusage()
        var peak = 0
        while true {
            if let hwm = peakResident(pid) { peak = max(peak, hwm) }
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0, errno != EINTR { return nil }
            usleep(5_000)
        }
        return (status, usage, peak > 0 ? peak : Int(usage.ru_maxrss) * 1024)
    }

    /// VmHWM of a running process, in bytes.
    static func peakResident(_ pid: pid_t) -> Int? { statusFields("/proc/\(pid)/status", ["VmHWM"])?[0] }

    /// Memory fields ("VmRSS", "VmHWM"...) of a /proc/PID/status file, in bytes, in the order
    /// asked (0 for a field not there); nil when the file cannot be read.
    static func statusFields(_ path: String, _ names: [String]) -> [Int]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        let lines = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n")
        return names.map { name in
            guard let line = lines.first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.dropFirst(name.count + 1).split { $0 == " " || $0 == "\t" }.first ?? "") ?? 0) * 1024
        }
    }

    static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }

    /// Peak resident memory of this process so far.
    public static var selfPeakRSSBytes: Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// Resident memory of this process now, all of it and the anonymous part (the heap and
    /// stacks, without the program's code and file pages), from /proc/self/status; 0 where
    /// that cannot be read.
    public static var selfResident: (total: Int, anonymous: Int) {
        guard let f = statusFields("/proc/self/status", ["VmRSS", "RssAnon"]) else { return (0, 0) }
        return (f[0], f[1])
    }

    public static var selfCPUSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    public static var now: Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}

extension ProcessMeasurement {
    /// A program started in the background with its standard output going to a file.
    public struct Running {
        public let pid: pid_t
        public let outputPath: String
        let start: Double
    }

    public static func start(_ command: [String], outputPath: String) -> Running? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let t0 = now
        guard posix_spawn(&pid, command[0], &actions, nil, argv, environ) == 0 else { return nil }
        return Running(pid: pid, outputPath: outputPath, start: t0)
    }

    /// Waits for a program started with `start`; returns its cost and what it printed.
    public static func finish(_ r: Running) -> (ProcessCost, String) {
        let (status, usage, peak) = waitMeasuring(r.pid) ?? (0, rusage(), 0)
        let wall = now - r.start
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let cost = ProcessCost(command: [], exitStatus: exit, wallSeconds: wall,
                               cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime),
                               peakRSSBytes: peak)
        let output = (try? readFile(r.outputPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (cost, output)
    }
}
