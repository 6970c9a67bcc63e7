//! A delivered task at the village (派发到村的任务): the unit accepts it, refuses it with a
//! reason, or disputes its verdict (it should not have reached them). Civil affairs rules on a
//! dispute: upheld, the task is withdrawn from the unit (and the sender's violation recorded);
//! rejected, it is back in the unit's inbox with the answer. Blocked deliveries never reach
//! the unit and take no step.

use std::fmt;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Stopped by the verdict: recorded, never delivered.
    Blocked,
    /// In the unit's inbox, waiting for it.
    Delivered,
    Accepted,
    Refused,
    Disputed,
    /// The dispute was upheld: the unit owes nothing.
    Withdrawn,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 6] = [
        DeliveryState::Blocked,
        DeliveryState::Delivered,
        DeliveryState::Accepted,
        DeliveryState::Refused,
        DeliveryState::Disputed,
        DeliveryState::Withdrawn,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Blocked => "blocked",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Accepted => "accepted",
            DeliveryState::Refused => "refused",
            DeliveryState::Disputed => "disputed",
            DeliveryState::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Blocked => "未派发",
            DeliveryState::Delivered => "待处理",
            DeliveryState::Accepted => "已接收",
            DeliveryState::Refused => "已拒绝",
            DeliveryState::Disputed => "有异议",
            DeliveryState::Withdrawn => "已撤回",
        }
    }

    pub fn from_code(code: &str) -> Option<DeliveryState> {
        DeliveryState::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What the unit does with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryAction {
    Accept,
    Refuse,
    Dispute,
}

impl DeliveryAction {
    pub fn parse(code: &str) -> Option<DeliveryAction> {
        match code {
            "accept" => Some(DeliveryAction::Accept),
            "refuse" => Some(DeliveryAction::Refuse),
            "dispute" => Some(DeliveryAction::Dispute),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryAction::Accept => "接收",
            DeliveryAction::Refuse => "拒绝",
            DeliveryAction::Dispute => "提出异议",
        }
    }
}

/// Civil affairs' ruling on a disputed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ruling {
    Uphold,
    Reject,
}

impl Ruling {
    pub fn parse(code: &str) -> Option<Ruling> {
        match code {
            "uphold" => Some(Ruling::Uphold),
            "reject" => Some(Ruling::Reject),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Ruling::Uphold => "异议成立",
            Ruling::Reject => "异议不成立",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Only a task waiting in the inbox can be acted on.
    NotWaiting(DeliveryState),
    /// Refusing and disputing say why.
    NoReason(DeliveryAction),
    /// Only a disputed task is ruled on.
    NotDisputed(DeliveryState),
    /// A ruling says why.
    NoAnswer,
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::NotWaiting(s) => write!(f, "任务处于“{}”状态，不能再办理", s.label()),
            DeliveryError::NoReason(a) => write!(f, "{}须写明理由", a.label()),
            DeliveryError::NotDisputed(s) => {
                write!(f, "任务处于“{}”状态，没有待处理的异议", s.label())
            }
            DeliveryError::NoAnswer => write!(f, "答复异议须写明理由"),
        }
    }
}

/// The state after `action` on a delivery in `state` with `reason`.
pub fn act(
    state: DeliveryState,
    action: DeliveryAction,
    reason: &str,
) -> Result<DeliveryState, DeliveryError> {
    if state != DeliveryState::Delivered {
        return Err(DeliveryError::NotWaiting(state));
    }
    let needs_reason = matches!(action, DeliveryAction::Refuse | DeliveryAction::Dispute);
    if needs_reason && reason.trim().is_empty() {
        return Err(DeliveryError::NoReason(action));
    }
    Ok(match action {
        DeliveryAction::Accept => DeliveryState::Accepted,
        DeliveryAction::Refuse => DeliveryState::Refused,
        DeliveryAction::Dispute => DeliveryState::Disputed,
    })
}

/// The state after civil affairs rules on a delivery in `state`, answering `answer`.
pub fn rule(
    state: DeliveryState,
    ruling: Ruling,
    answer: &str,
) -> Result<DeliveryState, DeliveryError> {
    if state != DeliveryState::Disputed {
        return Err(DeliveryError::NotDisputed(state));
    }
    if answer.trim().is_empty() {
        return Err(DeliveryError::NoAnswer);
    }
    Ok(match ruling {
        Ruling::Uphold => DeliveryState::Withdrawn,
        Ruling::Reject => DeliveryState::Delivered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_waiting_task_is_acted_on_and_refusals_say_why() {
        use DeliveryAction::*;
        use DeliveryState::*;
        assert_eq!(act(Delivered, Accept, ""), Ok(Accepted));
        assert_eq!(act(Delivered, Refuse, "不属于村（社区）职责"), Ok(Refused));
        assert_eq!(act(Delivered, Dispute, "应为执法事项"), Ok(Disputed));
        assert_eq!(
            act(Delivered, Refuse, " "),
            Err(DeliveryError::NoReason(Refuse))
        );
        for s in [Blocked, Accepted, Refused, Disputed, Withdrawn] {
            for a in [Accept, Refuse, Dispute] {
                assert_eq!(act(s, a, "理由"), Err(DeliveryError::NotWaiting(s)));
            }
        }
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn only_a_dispute_is_ruled_on_and_every_ruling_is_answered() {
        use DeliveryState::*;
        assert_eq!(rule(Disputed, Ruling::Uphold, "属执法事项"), Ok(Withdrawn));
        assert_eq!(rule(Disputed, Ruling::Reject, "目录第8项"), Ok(Delivered));
        assert_eq!(
            rule(Disputed, Ruling::Reject, ""),
            Err(DeliveryError::NoAnswer)
        );
        for s in [Blocked, Delivered, Accepted, Refused, Withdrawn] {
            assert_eq!(
                rule(s, Ruling::Uphold, "理由"),
                Err(DeliveryError::NotDisputed(s))
            );
        }
    }
}
