import CWriteback

/// A file with no name in the folder that holds it (Linux's `O_TMPFILE`), gone when closed:
/// a run's scratch that a crash cannot leave behind.
public enum UnnamedFile {
    /// A descriptor of a new unnamed file in `folder`, open for reading and writing; -1 where
    /// the file system cannot make one (the caller then makes a named file and unlinks it).
    public static func open(in folder: String) -> Int32 {
        funnel_open_unnamed_file(folder)
    }
}
