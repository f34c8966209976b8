import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files so that a failure never leaves a half-written file or a report without its
/// figures, and every failure is one sentence naming the file.
///
/// `write(_:inFolder:)` writes a group of files (a markdown report and its SVG figures) as a unit:
/// 1. every target is checked first: it must be missing or a regular file (a directory, device, FIFO or
///    socket at a target path is refused, never replaced), and the folder must exist (or is created,
///    with `createMissingFolder`);
/// 2. all files are written into a fresh temporary folder beside the targets (`.theorycheck-XXXXXX`, on
///    the same file system, so that renaming is atomic), each flushed to disk;
/// 3. only when every file is complete are they renamed into place, in the order given, so the last one
///    (the markdown that links the others) appears last; the temporary folder is then removed.
/// A failure in step 1 or 2 leaves every target untouched (old versions stay as they were); the error
/// names the file that failed. `write(_:to:)` is the same for one file (export, JSON output).
public enum AtomicFileWriter {
    /// One file of a group: its name inside the folder and its bytes.
    public struct File: Sendable, Equatable {
        public let name: String
        public let data: Data

        public init(name: String, data: Data) {
            precondition(!name.isEmpty && !name.contains("/") && name != "." && name != "..",
                         "a file of a group needs a plain name without '/', got \"\(name)\"")
            self.name = name
            self.data = data
        }
    }

    /// Writes `data` to `path` atomically (see the type's steps). Without `createMissingFolder` a missing
    /// folder is an error.
    public static func write(_ data: Data, to path: String, createMissingFolder: Bool = false) throws(OutputFileError) {
        let url = URL(fileURLWithPath: path)
        try write([File(name: url.lastPathComponent, data: data)], inFolder: url.deletingLastPathComponent().path,
                  createMissingFolder: createMissingFolder)
    }

    /// Writes `files` into `folder` as a unit, renaming them into place in the order given. Returns the
    /// paths written, in that order.
    @discardableResult
    public static func write(_ files: [File], inFolder folder: String, createMissingFolder: Bool = false)
        throws(OutputFileError) -> [String]
    {
        let names = files.map(\.name)
        precondition(Set(names).count == names.count, "two files share a name: \(names)")
        try prepareFolder(folder, create: createMissingFolder)
        let targets = files.map { (folder as NSString).appendingPathComponent($0.name) }
        for target in targets { try checkTarget(target) }

        var template = Array(((folder as NSString).appendingPathComponent(".theorycheck-XXXXXX")).utf8CString)
        guard let created = mkdtemp(&template) else {
            throw OutputFileError(path: targets.first ?? folder,
                                  reason: "no temporary file could be made in \(folder) (\(FileSystemPath.systemMessage(errno)))")
        }
        let temporaryFolder = String(cString: created)
        var pending: [String] = []  // temporary files not yet renamed
        defer {
            for path in pending { unlink(path) }
            rmdir(temporaryFolder)
        }
        for (file, target) in zip(files, targets) {
            let temporary = (temporaryFolder as NSString).appendingPathComponent(file.name)
            pending.append(temporary)
            try writeNewFile(file.data, at: temporary, naming: target)
        }
        for (index, target) in targets.enumerated() {
            let resolved = resolvedTarget(target)
            if rename(pending[index], resolved) != 0 {
                throw OutputFileError(path: target, reason: FileSystemPath.systemMessage(errno))
            }
            pending[index] = ""  // renamed: nothing to remove
        }
        pending.removeAll()
        return targets
    }

    /// Throws unless `path` is missing or a regular file (symbolic links followed) inside an existing
    /// folder: the check of step 1, for callers that want to refuse a bad path before a long run.
    public static func checkTarget(_ path: String) throws(OutputFileError) {
        switch FileSystemPath.kind(of: path) {
        case .missing, .regularFile:
            return
        case .unreadable(let reason):
            throw OutputFileError(path: path, reason: reason)
        case let kind:
            throw OutputFileError(path: path, reason: "it is \(kind), not a regular file; choose a file path")
        }
    }

    private static func prepareFolder(_ folder: String, create: Bool) throws(OutputFileError) {
        switch FileSystemPath.kind(of: folder) {
        case .directory:
            return
        case .missing where create:
            // Create each missing ancestor in turn, so that a failure names the system's reason.
            var prefix = folder.hasPrefix("/") ? "" : "."
            for component in folder.split(separator: "/") {
                prefix += "/" + component
                switch FileSystemPath.kind(of: prefix) {
                case .directory:
                    continue
                case .missing:
                    if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                        throw OutputFileError(path: folder, reason: "the folder could not be created (\(FileSystemPath.systemMessage(errno)))")
                    }
                case let kind:
                    throw OutputFileError(path: folder, reason: "the folder could not be created: \(prefix) is \(kind), not a folder")
                }
            }
        case .missing:
            throw OutputFileError(path: folder, reason: "the folder does not exist; create it first")
        case .unreadable(let reason):
            throw OutputFileError(path: folder, reason: reason)
        case let kind:
            throw OutputFileError(path: folder, reason: "it is \(kind), not a folder")
        }
    }

    /// Where a rename must go: the file a symbolic link points to, so that writing through a link to a
    /// regular file replaces that file (not the link).
    private static func resolvedTarget(_ path: String) -> String {
        var link = stat()
        guard lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK else { return path }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Creates `path` (which must not exist), writes `data` and flushes it; errors name `target`.
    private static func writeNewFile(_ data: Data, at path: String, naming target: String) throws(OutputFileError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw OutputFileError(path: target, reason: FileSystemPath.systemMessage(errno)) }
        var failure: Int32 = 0
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var done = 0
            while done < buffer.count {
                let count = systemWrite(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                done += count
            }
        }
        if failure == 0 && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        if failure != 0 { throw OutputFileError(path: target, reason: FileSystemPath.systemMessage(failure)) }
    }
}

/// write(2), outside `AtomicFileWriter` whose own `write` would shadow it.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// An output file that could not be written: "cannot write PATH: REASON", one sentence.
public struct OutputFileError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let path: String
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write \(path): \(reason)" }
    public var errorDescription: String? { description }
}
