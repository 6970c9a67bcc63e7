//! A delivered task at the village (派发到村的任务): the unit accepts it, refuses it with a
//! reason, or disputes its verdict (it should not have reached them). Blocked deliveries never
//! reach the unit and take no step.

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
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Blocked,
        DeliveryState::Delivered,
        DeliveryState::Accepted,
        DeliveryState::Refused,
        DeliveryState::Disputed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::Blocked => "blocked",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Accepted => "accepted",
            DeliveryState::Refused => "refused",
            DeliveryState::Disputed => "disputed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeliveryState::Blocked => "未派发",
            DeliveryState::Delivered => "待处理",
            DeliveryState::Accepted => "已接收",
            DeliveryState::Refused => "已拒绝",
            DeliveryState::Disputed => "有异议",
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Only a task waiting in the inbox can be acted on.
    NotWaiting(DeliveryState),
    /// Refusing and disputing say why.
    NoReason(DeliveryAction),
}

impl fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliveryError::NotWaiting(s) => write!(f, "任务处于“{}”状态，不能再办理", s.label()),
            DeliveryError::NoReason(a) => write!(f, "{}须写明理由", a.label()),
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
        for s in [Blocked, Accepted, Refused, Disputed] {
            for a in [Accept, Refuse, Dispute] {
                assert_eq!(act(s, a, "理由"), Err(DeliveryError::NotWaiting(s)));
            }
        }
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::from_code(s.code()), Some(s));
        }
    }
}
