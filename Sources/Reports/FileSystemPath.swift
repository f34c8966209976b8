import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a path names on disk, for the one-sentence errors of the readers and writers (an instance given
/// as `/dev/zero`, a report path that is a folder).
///
/// `kind(of:)` follows symbolic links (a link to a regular file is a regular file), except that a link
/// whose target is missing is reported as such.
public enum FileSystemPath {
    public enum Kind: Equatable, Sendable, CustomStringConvertible {
        case missing
        case regularFile
        case directory
        case characterDevice
        case blockDevice
        /// A named pipe, also what a shell's `<(...)` and piped standard input (`/dev/stdin`) are.
        case fifo
        case socket
        case danglingSymbolicLink
        /// Something `stat` could not look at, with the system's reason (e.g. "Permission denied").
        case unreadable(String)

        /// "a character device", for sentences like "/dev/zero is a character device, not an instance file".
        public var description: String {
            switch self {
            case .missing: return "missing"
            case .regularFile: return "a regular file"
            case .directory: return "a directory"
            case .characterDevice: return "a character device"
            case .blockDevice: return "a block device"
            case .fifo: return "a named pipe (FIFO, e.g. piped standard input)"
            case .socket: return "a socket"
            case .danglingSymbolicLink: return "a symbolic link to a missing file"
            case .unreadable(let reason): return "not accessible (\(reason))"
            }
        }
    }

    /// The kind of file at `path`, without opening it (so a device or pipe is never read).
    public static func kind(of path: String) -> Kind {
        var info = stat()
        if stat(path, &info) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                var link = stat()
                return lstat(path, &link) == 0 ? .danglingSymbolicLink : .missing
            }
            return .unreadable(systemMessage(code))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFIFO: return .fifo
        case S_IFSOCK: return .socket
        default: return .unreadable("unknown file type")
        }
    }

    /// The system's sentence for `errno` code, e.g. "Permission denied".
    public static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// The whole content of the regular file at `path`, read with plain POSIX calls so that a failure is
    /// the system's own reason ("Permission denied"), not a Foundation error code. The caller checks
    /// `kind(of:)` first: only regular files are read, and they are read up to their size at opening.
    public static func readRegularFile(_ path: String) throws(FileReadError) -> Data {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileReadError(reason: systemMessage(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileReadError(reason: systemMessage(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw FileReadError(reason: "it is no longer a regular file") }
        let size = Int(info.st_size)
        var data = Data(count: size)
        var done = 0
        var failure: Int32 = 0
        data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            while done < size {
                let count = read(descriptor, buffer.baseAddress! + done, size - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if count == 0 { break }  // the file shrank while being read
                done += count
            }
        }
        if failure != 0 { throw FileReadError(reason: systemMessage(failure)) }
        if done < size { data.removeSubrange(done..<size) }
        return data
    }
}

/// Why a regular file could not be read, in the system's words.
public struct FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
