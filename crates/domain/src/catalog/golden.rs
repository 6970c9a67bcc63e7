//! Golden cases (黄金用例) of a directory: example tasks as departments write them, each with
//! the item it should be recognised as and the verdict that follows. When an adjustment would
//! publish a new version, the cases are matched again against it, so a change that makes an
//! example task fall outside the directory, or onto another item, is seen before publication.
//! Until the dispatch gateway's verdict engine exists, a case's verdict follows from the kind
//! of list its match is on; that engine takes over the cases as its regression suite.

use std::fmt;

use super::{DirectoryKind, ItemCode};

/// What a task matching a directory item means for a village.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseVerdict {
    /// On a list of what villages do (or may issue): the task may be sent down.
    Allowed,
    /// On a list of what must not be put on villages: the task is refused.
    Blocked,
    /// On no item of the directory: it needs an admission (准入) first.
    Unlisted,
}

impl CaseVerdict {
    pub fn label(self) -> &'static str {
        match self {
            CaseVerdict::Allowed => "允许",
            CaseVerdict::Blocked => "不允许",
            CaseVerdict::Unlisted => "目录未列",
        }
    }

    /// Reads the words a case file uses.
    pub fn parse(raw: &str) -> Option<CaseVerdict> {
        match raw.trim() {
            "allowed" | "允许" => Some(CaseVerdict::Allowed),
            "blocked" | "不允许" | "禁止" => Some(CaseVerdict::Blocked),
            "unlisted" | "目录未列" | "未列入" => Some(CaseVerdict::Unlisted),
            _ => None,
        }
    }
}

impl fmt::Display for CaseVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The verdict for a task that matched `matched` (or nothing) in a directory of `kind`.
pub fn verdict(kind: DirectoryKind, matched: Option<&ItemCode>) -> CaseVerdict {
    match (matched, kind.is_prohibitive()) {
        (None, _) => CaseVerdict::Unlisted,
        (Some(_), true) => CaseVerdict::Blocked,
        (Some(_), false) => CaseVerdict::Allowed,
    }
}

/// An example task with what it should come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenCase {
    pub kind: DirectoryKind,
    /// A stable name, e.g. `XZ-征兵`.
    pub id: String,
    /// The task's text as a department would send it.
    pub task: String,
    /// The item it should match; none when it should match nothing.
    pub expected: Option<ItemCode>,
    pub verdict: CaseVerdict,
}

/// What a case came to against one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOutcome {
    pub matched: Option<ItemCode>,
    pub verdict: CaseVerdict,
    /// Matched the expected item and reached the expected verdict.
    pub passes: bool,
}

/// The outcome of `case` when the matcher found `matched` in the version.
pub fn outcome(case: &GoldenCase, matched: Option<ItemCode>) -> CaseOutcome {
    let verdict = verdict(case.kind, matched.as_ref());
    CaseOutcome {
        passes: matched == case.expected && verdict == case.verdict,
        matched,
        verdict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(kind: DirectoryKind, expected: Option<u32>, verdict: CaseVerdict) -> GoldenCase {
        GoldenCase {
            kind,
            id: "例".into(),
            task: "请协助做好征兵工作".into(),
            expected: expected.map(|n| ItemCode::numbered(kind, n)),
            verdict,
        }
    }

    #[test]
    fn the_verdict_follows_the_kind_of_list() {
        let xz = ItemCode::numbered(DirectoryKind::Assistance, 6);
        let jz = ItemCode::numbered(DirectoryKind::ProhibitedTask, 2);
        assert_eq!(
            verdict(DirectoryKind::Assistance, Some(&xz)),
            CaseVerdict::Allowed
        );
        assert_eq!(
            verdict(DirectoryKind::ProhibitedTask, Some(&jz)),
            CaseVerdict::Blocked
        );
        assert_eq!(verdict(DirectoryKind::Duty, None), CaseVerdict::Unlisted);
    }

    #[test]
    fn a_case_passes_only_on_its_item_and_verdict() {
        let c = case(DirectoryKind::Assistance, Some(6), CaseVerdict::Allowed);
        assert!(outcome(&c, Some(ItemCode::numbered(DirectoryKind::Assistance, 6))).passes);
        let elsewhere = outcome(&c, Some(ItemCode::numbered(DirectoryKind::Assistance, 9)));
        assert!(!elsewhere.passes, "another item is a change to see");
        assert_eq!(elsewhere.verdict, CaseVerdict::Allowed);
        let gone = outcome(&c, None);
        assert_eq!((gone.passes, gone.verdict), (false, CaseVerdict::Unlisted));
        let none = case(DirectoryKind::Assistance, None, CaseVerdict::Unlisted);
        assert!(outcome(&none, None).passes);
    }

    #[test]
    fn verdict_words() {
        for v in [
            CaseVerdict::Allowed,
            CaseVerdict::Blocked,
            CaseVerdict::Unlisted,
        ] {
            assert_eq!(CaseVerdict::parse(v.label()), Some(v));
        }
        assert_eq!(CaseVerdict::parse("也许"), None);
    }
}
