#if canImport(Glibc)
import Glibc
#endif

/// Whether a file can be read (or written) now, and by the account relayguard becomes
/// (`user`): a start-up check names the problem before `run` binds, and reloads, which read
/// the files again after root was dropped, do not fail later for a reason known now.
///
/// The account's permission is worked out from the mode bits of the file and of every
/// directory above it (search permission), with the account's groups; ACLs are not read.
struct FileAccess {
    /// The account `user` names: its ids and groups.
    struct Account {
        var name: String
        var uid: uid_t
        var gid: gid_t
        var groups: [gid_t]

        /// The account named `name`, or nil when there is no such user.
        static func named(_ name: String) -> Account? {
            guard let entry = getpwnam(name) else { return nil }
            let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
            var count: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(name, gid, &groups, &count) < 0 {
                groups = [gid_t](repeating: 0, count: Int(count))
                _ = getgrouplist(name, gid, &groups, &count)
            }
            return Account(name: name, uid: uid, gid: gid, groups: Array(groups.prefix(Int(max(count, 0)))))
        }
    }

    /// Why the file at `path` cannot be read by this process, or nil when it can.
    static func readProblem(_ path: String) -> String? {
        access(path, R_OK) == 0 ? nil : errorText(errno)
    }

    /// Why `account` could not read the file at `path`, or nil when it could.
    static func readProblem(_ path: String, by account: Account) -> String? {
        guard account.uid != 0 else { return nil }
        var directory = ""
        for component in path.split(separator: "/").dropLast() {
            directory += "/" + component
            guard let status = status(of: directory) else { return nil }
            if !permits(status, account: account, bits: (S_IXUSR, S_IXGRP, S_IXOTH)) {
                return "not readable by user \(account.name) (no search permission on \(directory))"
            }
        }
        guard let status = status(of: path) else { return nil }
        if !permits(status, account: account, bits: (S_IRUSR, S_IRGRP, S_IROTH)) {
            return "not readable by user \(account.name)"
        }
        return nil
    }

    private static func status(of path: String) -> stat? {
        var result = stat()
        return stat(path, &result) == 0 ? result : nil
    }

    private static func permits(_ status: stat, account: Account, bits: (UInt32, UInt32, UInt32)) -> Bool {
        let mode = status.st_mode
        if status.st_uid == account.uid { return mode & bits.0 != 0 }
        if status.st_gid == account.gid || account.groups.contains(status.st_gid) { return mode & bits.1 != 0 }
        return mode & bits.2 != 0
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
