// FuzzLineFramer: libFuzzer target for Reactor's LineFramer. The same stream, fed whole, a byte at
// a time, in two pieces and in random pieces, must give the frames a plain model gives, and the
// framer must never hold more than one line's worth of bytes.

import FuzzSupport
import Reactor

enum Frame: Equatable {
    case line([UInt8])
    case overlong
}

/// The rules, the obvious way: split on LF, drop one CR before it, refuse what is too long; an
/// unfinished tail is reported overlong once it cannot fit (one byte of slack for a CR). The split
/// is libc's (``Bytes``): a loop here would be instrumented as the framer is, and cost as much.
func model(_ stream: UnsafeRawBufferPointer, limit: Int) -> (frames: [Frame], buffered: Int, discarding: Bool) {
    var frames: [Frame] = []
    var start = 0
    while let lf = Bytes.firstIndex(of: 10, in: stream, from: start) {
        let end = lf > start && stream[lf - 1] == 13 ? lf - 1 : lf
        frames.append(end - start > limit ? .overlong : .line(Array(stream[start..<end])))
        start = lf + 1
    }
    let tail = stream.count - start
    if tail > limit + 1 {
        frames.append(.overlong)
        return (frames, 0, true)
    }
    return (frames, tail, false)
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
        // Each frame is compared with the model's as it comes, not copied out: copying every line of
        // every chunking was a fifth of the run.
        var count = 0
        Chunking.feed(stream, lengths) { piece in
            framer.process(piece) { frame in
                require(count < expected.frames.count, "frame \(count) for chunks \(lengths), expected \(expected.frames)")
                switch (frame, expected.frames[count]) {
                case (.line(let line), .line(let model)):
                    require(line.count <= limit, "a line of \(line.count) bytes passed the limit \(limit)")
                    require(Bytes.equal(line, model), "frame \(count) is \(Array(line)) for chunks \(lengths), expected \(model)")
                case (.overlong, .overlong):
                    break
                default:
                    require(false, "frame \(count) is \(frame) for chunks \(lengths), expected \(expected.frames[count])")
                }
                count += 1
            }
            // One unfinished line at most, and never more of it than could still be a line.
            require(framer.bufferedByteCount <= limit + 1, "holds \(framer.bufferedByteCount) bytes, limit \(limit)")
        }
        require(count == expected.frames.count, "\(count) frames for chunks \(lengths), expected \(expected.frames)")
        require(framer.bufferedByteCount == expected.buffered, "holds \(framer.bufferedByteCount) at the end")
        require(framer.isDiscarding == expected.discarding, "discarding \(framer.isDiscarding) at the end")
    }
    return 0
}

runFuzzer { testOneInput($0, $1) }
