//! Violations (违规派发) as the ledger keeps them: a task pushed to villages outside the
//! directories and admissions. Three things record one: the gateway blocking a dispatch, a
//! village reporting a task that reached it outside the platform and that the verdict engine
//! blocks, and civil affairs upholding a village's dispute of a delivered task.
//!
//! Reporters are protected (PRODUCT.md §4): the sending department learns how many units
//! reported it only when at least [`PROTECTED_BELOW`] did, and never which.

use crate::verdict::{Outcome, Reason, Rule, Severity};

/// What recorded a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationSource {
    /// The dispatch check blocked a task sent through the platform.
    Dispatch,
    /// A village reported a task that reached it outside the platform.
    Report,
    /// Civil affairs upheld a village's dispute of a delivered task.
    Dispute,
}

impl ViolationSource {
    pub const ALL: [ViolationSource; 3] = [
        ViolationSource::Dispatch,
        ViolationSource::Report,
        ViolationSource::Dispute,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ViolationSource::Dispatch => "dispatch",
            ViolationSource::Report => "report",
            ViolationSource::Dispute => "dispute",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ViolationSource::Dispatch => "平台拦截",
            ViolationSource::Report => "村（社区）报告",
            ViolationSource::Dispute => "异议成立",
        }
    }

    pub fn from_code(code: &str) -> Option<ViolationSource> {
        ViolationSource::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// Below this many reporting units the sender sees no count at all.
pub const PROTECTED_BELOW: usize = 3;

/// What the sending department is told of `units` units that reported it: the count when
/// at least [`PROTECTED_BELOW`] did, nothing otherwise.
pub fn shown_to_sender(units: usize) -> Option<usize> {
    (units >= PROTECTED_BELOW).then_some(units)
}

/// The reason a blocked verdict is recorded under: its first blocking reason.
pub fn ground(outcome: Outcome, reasons: &[Reason]) -> Option<&Reason> {
    if outcome != Outcome::Blocked {
        return None;
    }
    reasons.iter().find(|r| r.severity == Severity::Block)
}

/// The ground recorded when civil affairs upholds a village's dispute.
pub const DISPUTE_UPHELD: &str = "dispute.upheld";

/// A recorded ground as ledgers and notices name it.
pub fn ground_label(rule: &str) -> &str {
    if rule == DISPUTE_UPHELD {
        return "异议成立";
    }
    match Rule::from_code(rule) {
        Some(r) => r.label(),
        None => rule,
    }
}

/// Where an off-platform task reached the village (报告渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    WorkGroup,
    Phone,
    Paper,
    App,
    Meeting,
    Other,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::WorkGroup,
        Channel::Phone,
        Channel::Paper,
        Channel::App,
        Channel::Meeting,
        Channel::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::WorkGroup => "work_group",
            Channel::Phone => "phone",
            Channel::Paper => "paper",
            Channel::App => "app",
            Channel::Meeting => "meeting",
            Channel::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::WorkGroup => "微信、政务微信等工作群",
            Channel::Phone => "电话、短信",
            Channel::Paper => "纸质文件、通知",
            Channel::App => "政务 App、信息平台",
            Channel::Meeting => "会议布置",
            Channel::Other => "其他",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fewer_than_three_reporters_are_never_counted_for_the_sender() {
        assert_eq!(shown_to_sender(0), None);
        assert_eq!(shown_to_sender(1), None);
        assert_eq!(shown_to_sender(2), None);
        assert_eq!(shown_to_sender(3), Some(3));
        assert_eq!(shown_to_sender(40), Some(40));
    }

    #[test]
    fn a_violation_rests_on_the_first_blocking_reason() {
        let reason = |rule: Rule| Reason {
            rule: rule.code(),
            severity: rule.severity(),
            message: rule.label().to_owned(),
            item_code: None,
            directory_version: None,
        };
        let reasons = [reason(Rule::TextUnmatched), reason(Rule::NoBasis)];
        assert_eq!(
            ground(Outcome::Blocked, &reasons).map(|r| r.rule),
            Some("basis.missing")
        );
        assert_eq!(ground(Outcome::Flagged, &reasons[..1]), None);
        assert_eq!(ground_label("basis.missing"), "无派发依据");
        assert_eq!(ground_label(DISPUTE_UPHELD), "异议成立");
        for s in ViolationSource::ALL {
            assert_eq!(ViolationSource::from_code(s.code()), Some(s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
    }
}
