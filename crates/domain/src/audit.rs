//! The audit log's hash chain (审计日志). Every record's hash covers its own fields and the
//! previous record's hash, in an explicit sequence (not auto-increment ids, which some
//! distributed databases do not hand out in order). Altering, deleting, inserting or reordering
//! a stored record breaks the chain at a sequence number `verify_chain` names. The digest
//! itself (SM3) is passed in, so these rules stay free of any crypto library.

use std::fmt;

/// `prev_hash` of the first record.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, as the code that did it describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Who: a username, or `system` for the platform itself.
    pub actor: String,
    pub role: String,
    pub source_ip: String,
    /// Stable dotted name, e.g. `region.import`.
    pub event: String,
    /// What it acted on, e.g. a region code or a file name.
    pub object: String,
    /// `ok`, `denied` or `failed`.
    pub result: String,
    /// State before and after, as JSON text, where there is one.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A stored record: the entry with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    /// UTC, RFC 3339 with microseconds: stored as text so every backend keeps it byte for byte.
    pub at: String,
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The bytes a record's hash covers: every field length-prefixed, so no two different records
/// share an encoding.
pub fn canonical_bytes(seq: u64, at: &str, entry: &AuditEntry, prev_hash: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut field = |value: Option<&str>| match value {
        Some(v) => {
            out.extend_from_slice(&(v.len() as u32).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
    };
    field(Some("jianfu-audit-v1"));
    field(Some(&seq.to_string()));
    field(Some(at));
    field(Some(&entry.actor));
    field(Some(&entry.role));
    field(Some(&entry.source_ip));
    field(Some(&entry.event));
    field(Some(&entry.object));
    field(Some(&entry.result));
    field(entry.before.as_deref());
    field(entry.after.as_deref());
    field(Some(prev_hash));
    out
}

/// The message a checkpoint signature covers.
pub fn checkpoint_message(seq: u64, hash: &str) -> Vec<u8> {
    format!("jianfu-audit-checkpoint-v1|{seq}|{hash}").into_bytes()
}

/// Where and why the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: BreakReason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    /// The record with this sequence number is gone (or numbers were shifted).
    Missing,
    /// The record does not link to the one before it (inserted or reordered).
    Unlinked,
    /// The record's content does not match its hash (altered).
    Altered,
    /// Records after this one were removed from the end.
    Truncated,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match self.reason {
            BreakReason::Missing => write!(f, "第 {seq} 条记录缺失（被删除或序号被改动）"),
            BreakReason::Unlinked => {
                write!(f, "第 {seq} 条记录与前一条不相连（有记录被插入或调换顺序）")
            }
            BreakReason::Altered => write!(f, "第 {seq} 条记录的内容与其哈希不符（被修改）"),
            BreakReason::Truncated => write!(f, "第 {seq} 条之后的记录被删除（链尾被截断）"),
        }
    }
}

/// Walks records in ascending `seq` order, one batch at a time, remembering where it is.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// A verifier for a chain whose records up to `seq` were purged after retention; `hash` is
    /// the last purged record's hash (kept, signed, in a checkpoint).
    pub fn starting_after(seq: u64, hash: &str) -> Self {
        ChainVerifier {
            next_seq: seq + 1,
            prev_hash: hash.to_owned(),
        }
    }

    /// Checks the next record; `digest` is the chain's hash function (hex output).
    pub fn check(
        &mut self,
        record: &AuditRecord,
        digest: impl Fn(&[u8]) -> String,
    ) -> Result<(), ChainBreak> {
        let bytes = canonical_bytes(record.seq, &record.at, &record.entry, &record.prev_hash);
        self.check_digested(record, &digest(&bytes))
    }

    /// Checks the next record whose digest was computed already (`digest` of its
    /// `canonical_bytes`), so digests of a batch can be computed in parallel.
    pub fn check_digested(
        &mut self,
        record: &AuditRecord,
        computed: &str,
    ) -> Result<(), ChainBreak> {
        let fail = |seq, reason| Err(ChainBreak { seq, reason });
        if record.seq != self.next_seq {
            return fail(self.next_seq, BreakReason::Missing);
        }
        if record.prev_hash != self.prev_hash {
            return fail(record.seq, BreakReason::Unlinked);
        }
        if computed != record.hash {
            return fail(record.seq, BreakReason::Altered);
        }
        self.next_seq += 1;
        self.prev_hash = record.hash.clone();
        Ok(())
    }

    /// After the last record: the head the database keeps must be the last record checked.
    pub fn finish(&self, head_seq: u64, head_hash: &str) -> Result<u64, ChainBreak> {
        let last = self.next_seq - 1;
        if head_seq > last {
            return Err(ChainBreak {
                seq: last,
                reason: BreakReason::Truncated,
            });
        }
        if head_seq < last || head_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: head_seq.max(1),
                reason: BreakReason::Unlinked,
            });
        }
        Ok(last)
    }

    /// The hash of the last record checked (the genesis hash before any).
    pub fn last_hash(&self) -> &str {
        &self.prev_hash
    }
}

/// How long records must be kept before they may be purged (等保 requires at least 180 days).
pub const RETENTION_DAYS: i64 = 180;

/// Whether a record made at `at` may be purged at `now`: only once it is older than the
/// retention period.
pub fn may_purge(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> bool {
    now - at >= chrono::Duration::days(RETENTION_DAYS)
}

/// Builds the next record of a chain (used by the store when appending, and by tests).
pub fn seal_record(
    seq: u64,
    at: String,
    entry: AuditEntry,
    prev_hash: String,
    digest: impl Fn(&[u8]) -> String,
) -> AuditRecord {
    let hash = digest(&canonical_bytes(seq, &at, &entry, &prev_hash));
    AuditRecord {
        seq,
        at,
        entry,
        prev_hash,
        hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stand-in digest for the rules (the store uses SM3): FNV-1a, hex.
    fn digest(bytes: &[u8]) -> String {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100000001b3);
        }
        format!("{h:016x}")
    }

    fn entry(n: u64) -> AuditEntry {
        AuditEntry {
            actor: format!("user{n}"),
            role: "system".into(),
            source_ip: "127.0.0.1".into(),
            event: "region.import".into(),
            object: format!("file{n}.csv"),
            result: "ok".into(),
            before: None,
            after: n.is_multiple_of(2).then(|| format!("{{\"n\":{n}}}")),
        }
    }

    fn chain(n: u64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let r = seal_record(
                    seq,
                    format!("2026-11-28T00:00:{seq:02}.000000Z"),
                    entry(seq),
                    prev.clone(),
                    digest,
                );
                prev = r.hash.clone();
                r
            })
            .collect()
    }

    fn verify(records: &[AuditRecord], head: (u64, &str)) -> Result<u64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in records {
            v.check(r, digest)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let c = chain(10);
        assert_eq!(verify(&c, (10, &c[9].hash)), Ok(10));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn a_purged_prefix_verifies_from_its_anchor() {
        let c = chain(10);
        let mut v = ChainVerifier::starting_after(4, &c[3].hash);
        for r in &c[4..] {
            v.check(r, digest).unwrap();
        }
        assert_eq!(v.finish(10, &c[9].hash), Ok(10));
        // A wrong anchor (records cut beyond the purge) is found at the first kept record.
        let mut v = ChainVerifier::starting_after(4, &c[2].hash);
        assert_eq!(
            v.check(&c[4], digest).unwrap_err().reason,
            BreakReason::Unlinked
        );
    }

    #[test]
    fn records_younger_than_180_days_may_not_be_purged() {
        let now = chrono::Utc::now();
        assert!(!may_purge(now - chrono::Duration::days(179), now));
        assert!(may_purge(now - chrono::Duration::days(180), now));
        assert!(!may_purge(now, now));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let c = chain(10);
        let head = (10, c[9].hash.as_str());
        let mut altered = c.clone();
        altered[3].entry.object = "other.csv".into();
        assert_eq!(
            verify(&altered, head).unwrap_err(),
            ChainBreak {
                seq: 4,
                reason: BreakReason::Altered
            }
        );

        let mut deleted = c.clone();
        deleted.remove(5);
        assert_eq!(
            verify(&deleted, head).unwrap_err(),
            ChainBreak {
                seq: 6,
                reason: BreakReason::Missing
            }
        );

        let mut swapped = c.clone();
        let (a, b) = (swapped[2].clone(), swapped[3].clone());
        swapped[2] = AuditRecord { seq: 3, ..b };
        swapped[3] = AuditRecord { seq: 4, ..a };
        assert_eq!(
            verify(&swapped, head).unwrap_err(),
            ChainBreak {
                seq: 3,
                reason: BreakReason::Unlinked
            }
        );

        let truncated = &c[..8];
        assert_eq!(
            verify(truncated, head).unwrap_err(),
            ChainBreak {
                seq: 8,
                reason: BreakReason::Truncated
            }
        );

        let mut inserted = c.clone();
        let fake = seal_record(
            11,
            "2026-11-28T01:00:00.000000Z".into(),
            entry(99),
            "f".repeat(16),
            digest,
        );
        inserted.push(fake);
        assert_eq!(
            verify(&inserted, head).unwrap_err(),
            ChainBreak {
                seq: 11,
                reason: BreakReason::Unlinked
            }
        );
    }

    #[derive(Debug, Clone)]
    enum Edit {
        Alter(usize),
        Delete(usize),
        Swap(usize),
        Truncate(usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0usize..30).prop_map(Edit::Alter),
            (0usize..30).prop_map(Edit::Delete),
            (0usize..29).prop_map(Edit::Swap),
            (1usize..30).prop_map(Edit::Truncate),
        ]
    }

    proptest! {
        /// Any single edit of a stored chain is detected, and never after the edited record.
        #[test]
        fn every_edit_is_detected_at_or_before_it(e in edit()) {
            let c = chain(30);
            let head = (30, c[29].hash.clone());
            let mut t = c.clone();
            let at = match e {
                Edit::Alter(i) => { t[i].entry.actor.push('x'); i }
                Edit::Delete(i) => { t.remove(i); i }
                Edit::Swap(i) => {
                    let (a, b) = (t[i].clone(), t[i + 1].clone());
                    t[i] = AuditRecord { seq: a.seq, ..b };
                    t[i + 1] = AuditRecord { seq: a.seq + 1, ..a };
                    i
                }
                Edit::Truncate(n) => { t.truncate(n); n - 1 }
            };
            let broken = verify(&t, (head.0, &head.1)).unwrap_err();
            prop_assert!(broken.seq <= at as u64 + 1, "{:?} found at {}", e, broken.seq);
        }
    }
}
