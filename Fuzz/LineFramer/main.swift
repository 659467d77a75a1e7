// FuzzLineFramer: libFuzzer target for Reactor's LineFramer. The same stream, fed whole, a byte at
// a time, in two pieces and in random pieces, must give the frames a plain model gives, and the
// framer must never hold more than one line's worth of bytes.

import FuzzSupport
import Reactor

enum Frame: Equatable {
    case line([UInt8])
    case overlong
}

/// The rules, the slow and obvious way: split on LF, drop one CR before it, refuse what is too long;
/// an unfinished tail is reported overlong once it cannot fit (one byte of slack for a CR).
func model(_ stream: UnsafeRawBufferPointer, limit: Int) -> (frames: [Frame], buffered: Int, discarding: Bool) {
    var frames: [Frame] = []
    var line: [UInt8] = []
    for byte in stream {
        if byte == 10 {
            if line.last == 13 { line.removeLast() }
            frames.append(line.count > limit ? .overlong : .line(line))
            line = []
        } else {
            line.append(byte)
        }
    }
    if line.count > limit + 1 {
        frames.append(.overlong)
        return (frames, 0, true)
    }
    return (frames, line.count, false)
}

@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var reader = FuzzReader(input(data, size))
    // Short limits, where the edges are within reach of short inputs, and now and then a longer one.
    let setting = reader.byte()
    let limit = setting == 255 ? 300 : 1 + Int(setting % 48)
    let cut = Int(reader.uint16())
    let stream = reader.rest()
    let expected = model(stream, limit: limit)

    for lengths in Chunking.variants(count: stream.count, cut: cut, seed: fnv1a(stream)) {
        var framer = LineFramer(maxLineLength: limit)
        var frames: [Frame] = []
        Chunking.feed(stream, lengths) { piece in
            framer.process(piece) { frame in
                switch frame {
                case .line(let line):
                    require(line.count <= limit, "a line of \(line.count) bytes passed the limit \(limit)")
                    frames.append(.line(Array(line)))
                case .overlong:
                    frames.append(.overlong)
                }
            }
            // One unfinished line at most, and never more of it than could still be a line.
            require(framer.bufferedByteCount <= limit + 1, "holds \(framer.bufferedByteCount) bytes, limit \(limit)")
        }
        require(frames == expected.frames, "frames \(frames) for chunks \(lengths), expected \(expected.frames)")
        require(framer.bufferedByteCount == expected.buffered, "holds \(framer.bufferedByteCount) at the end")
        require(framer.isDiscarding == expected.discarding, "discarding \(framer.isDiscarding) at the end")
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
