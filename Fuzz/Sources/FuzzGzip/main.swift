import FunnelReaders
import FuzzSupport

// Any bytes as an input file (plain, gzip, damaged gzip), read and split into lines with
// small buffers so that refills, member boundaries and overlong lines meet often.
let file = MemoryFile()

fuzz { input in
    file.write(input)
    guard let stream = try? InputStream(path: file.path, bufferSize: 64) else { return }
    let reader = LineReader(stream: stream, maxLineLength: 100, chunkSize: 128)
    var total = 0
    let (_, tail) = reader.forEach { item in
        switch item {
        case .line(let bytes, _): total &+= bytes.count
        case .tooLong(let prefix, _, let length): total &+= prefix.count &+ length
        }
    }
    _ = (total, tail.count, stream.damage)
}
