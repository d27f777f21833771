import FunnelWriters
#if canImport(Glibc)
import Glibc
#endif

/// A flat-file run's manifest takes its place in two steps (since 2026-12-06): it is written
/// whole as `<file>.pending-<token>`, the token is committed in the history's transaction
/// (`SQLiteHistoryStore.manifestToken`), and the file is then renamed over `<file>`. The
/// manifest in place therefore always goes with the history as last committed:
///
/// - a run stopped before its history's commit leaves a pending file whose token the history
///   does not hold: the next run deletes it, and reads the files of the stopped run as the
///   history knows them (until 2026-12-06 the manifest was written before the commit and
///   listed them as read: a file changed before the re-run was said changed, exit 2 with
///   advice to rebuild, although the history never took its first reading);
/// - a run stopped after the commit and before the rename leaves a pending file whose token
///   the history holds: the next run puts it in place (a manifest written after the commit,
///   as before 2026-12-05, would have been lost there, and a change of those files not said).
///
/// The Redis sink's history takes a run's changes chunk by chunk, not in one commit: a run
/// stopped half-way has stored part of its files, and its manifest is written in place
/// before the history's last step, as before.
enum PendingManifest {
    /// The pending file of `file` with `token`.
    static func name(of file: String, token: String) -> String { file + marker + token }

    /// A token no other run of the folder has used: 128 random bits, in hex.
    static func newToken() -> String {
        (0..<2).map { _ in
            let text = String(UInt64.random(in: .min ... .max), radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }

    /// Puts in place or deletes the pending manifests of `file` that a run stopped in its
    /// last steps left in `folder`; runs under the run lock, before the manifest is read.
    /// Returns what it did, for the summary's warnings.
    static func resolve(folder: String, file: String) throws(PipelineError) -> [String] {
        let names = FileTree.names(in: folder) ?? []
        // A pending manifest's name ends in its token; one being written is a temporary
        // (`AtomicFile`), not yet pending.
        let pending = names.filter { isPending($0, of: file) }.sorted()
        // The temporary of a pending manifest has a name of its own each run, which no later
        // run's `AtomicFile` looks for: one a killed run left is removed here, with the
        // `<file>.tmp-<pid>` a version before 2026-12-06 left (a review: each stayed for good,
        // a whole manifest each).
        // One of this process's own pid is another's that had it before (a container whose
        // funnel always has one pid; a review): this run writes its manifest after this.
        AtomicFile.removeStaleTemporaries(inFolder: folder, ofNames: { $0 == file || isPending($0, of: file) }, includingOwnPid: true)
        guard !pending.isEmpty else { return [] }
        let committed: String?
        do throws(SinkError) {
            committed = try SQLiteHistoryStore.committedManifestToken(inFolder: folder)
        } catch {
            throw PipelineError("\(error.message); the history is read to tell whether the run that left \(folder)/\(pending[0]) committed it")
        }
        var said: [String] = []
        for name in pending {
            let path = folder + "/" + name
            if let committed, name == Self.name(of: file, token: committed) {
                AtomicFile.keepMode(of: folder + "/" + file, for: path)
                guard rename(path, folder + "/" + file) == 0 else {
                    throw PipelineError("cannot rename \(path) to \(folder)/\(file): \(String(cString: strerror(errno))); it is the manifest of the last run, which stopped after its history's commit: rename it yourself and run again")
                }
                AtomicFile.syncFolder(folder)
                said.append("the last run into \(folder) stopped after its history's commit and before its manifest took its place: the manifest it wrote (\(name)) was put in place")
            } else {
                guard unlink(path) == 0 || errno == ENOENT else {
                    throw PipelineError("cannot remove \(path): \(String(cString: strerror(errno))); it is the manifest of a run that stopped before its history's commit, and does not go with the history: remove it and run again")
                }
                said.append("a run into \(folder) stopped before its history's commit: the manifest it wrote (\(name)) was deleted, and its files are read as the history knows them")
            }
        }
        return said
    }

    /// Renames the pending manifest written with `token` over `file`, after the history's
    /// commit; what went wrong, or nil.
    static func putInPlace(folder: String, file: String, token: String) -> String? {
        let path = folder + "/" + name(of: file, token: token)
        AtomicFile.keepMode(of: folder + "/" + file, for: path)
        guard rename(path, folder + "/" + file) == 0 else {
            return "cannot rename \(path) to \(folder)/\(file): \(String(cString: strerror(errno))); the run's history is committed, and the next run puts this manifest in place"
        }
        AtomicFile.syncFolder(folder)
        return nil
    }

    private static let marker = ".pending-"

    /// Whether `name` is a pending manifest of `file`: `<file>.pending-` and 32 hex digits.
    private static func isPending(_ name: String, of file: String) -> Bool {
        name.hasPrefix(file + marker) && name.utf8.count == file.utf8.count + marker.utf8.count + 32
            && name.utf8.suffix(32).allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
