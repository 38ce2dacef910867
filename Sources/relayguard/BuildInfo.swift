/// What `relayguard --version` says: the release number and the git commit of the build.
///
/// The commit is stamped by `scripts/stamp-commit` (run by `scripts/package` and `scripts/test`)
/// into `BuildCommit.swift` beside this file. That file is generated and ignored by git, so a
/// build never leaves the tree dirty; it adds a conformance to `StampedCommit`.
///
/// Why a conformance looked up at run time: a plain `swift build` from a fresh clone has no
/// generated file, and Swift has no way to ask at compile time whether another file defines a
/// symbol. Without the file the lookup fails and the commit is `unknown`; the build still works.
enum BuildInfo {
    /// The release number; `scripts/package` names the Debian package after it.
    static let version = "0.1.0"

    /// The abbreviated git commit of the sources (`-dirty` when they had uncommitted changes),
    /// or `unknown` when the build was not stamped.
    static var commit: String {
        let type: Any.Type = BuildInfo.self
        return (type as? StampedCommit.Type)?.stampedCommit ?? "unknown"
    }

    /// `relayguard 0.1.0 (commit 1a2b3c4d5e6f)`
    static var versionLine: String { "relayguard \(version) (commit \(commit))" }
}

/// Adopted by `BuildInfo` in the generated `BuildCommit.swift`.
protocol StampedCommit {
    static var stampedCommit: String { get }
}
