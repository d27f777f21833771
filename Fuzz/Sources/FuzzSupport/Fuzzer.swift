import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// The harness's body, reached from libFuzzer's C callback (which cannot capture context).
nonisolated(unsafe) private var harness: ((UnsafeRawBufferPointer) -> Void)?

/// Hands control to libFuzzer, which parses its flags from the command line (`-max_total_time`,
/// a corpus folder, a crash file to replay) and calls `body` with every input it tries.
///
/// Why a driver call and not libFuzzer's own `main`: SwiftPM links an executable target with
/// `--defsym main=<Target>_main`, so the top-level code of `main.swift` is the program's entry
/// and libFuzzer's `main` never runs. `-parse-as-library` would leave `<Target>_main`
/// undefined, so the harnesses are built without it.
public func fuzz(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
    harness = body
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in fuzzOne(data, count) })
}

/// libFuzzer's entry for one input. libFuzzer's unused `main` refers to it, so it must exist.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    harness?(UnsafeRawBufferPointer(start: count == 0 ? nil : data, count: count))
    return 0
}

/// The first line of `input` and the rest, for harnesses that take two inputs (a format
/// and a line, a path and a query).
public func split(_ input: UnsafeRawBufferPointer) -> (first: UnsafeRawBufferPointer, rest: UnsafeRawBufferPointer) {
    guard let newline = input.firstIndex(of: 0x0A) else { return (input, UnsafeRawBufferPointer(start: nil, count: 0)) }
    return (UnsafeRawBufferPointer(rebasing: input[..<newline]), UnsafeRawBufferPointer(rebasing: input[(newline + 1)...]))
}

/// An in-memory file holding `bytes`, rewritten for each input, so readers that open a path
/// read the fuzzer's bytes without touching the disk.
public final class MemoryFile {
    public let path: String
    private let fd: Int32

    public init() {
        // A file on tmpfs, unlinked at once: it lives as long as its descriptor, reached
        // through /proc/self/fd (Glibc's module does not offer memfd_create).
        var template = Array("/dev/shm/funnel-fuzz-XXXXXX".utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        precondition(fd >= 0, "cannot create a file in /dev/shm")
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        path = "/proc/self/fd/\(fd)"
    }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        ftruncate(fd, 0)
        var offset = 0
        while offset < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + offset, bytes.count - offset, off_t(offset))
            precondition(written > 0, "writing the memory file failed")
            offset += written
        }
    }
}
