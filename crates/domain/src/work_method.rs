//! Work methods (工作方式): who takes work off a village or community — services bought by
//! government (政府购买服务), community social organisations (社区社会组织) and volunteers
//! (志愿服务) — and what each provides where, beside the public-service items (公共服务事项清单)
//! in force for the unit.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How a provider comes to serve the unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    GovernmentPurchase,
    SocialOrganisation,
    Volunteers,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 3] = [
        ProviderKind::GovernmentPurchase,
        ProviderKind::SocialOrganisation,
        ProviderKind::Volunteers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::GovernmentPurchase => "government_purchase",
            ProviderKind::SocialOrganisation => "social_organisation",
            ProviderKind::Volunteers => "volunteers",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::GovernmentPurchase => "政府购买服务",
            ProviderKind::SocialOrganisation => "社区社会组织",
            ProviderKind::Volunteers => "志愿服务",
        }
    }

    pub fn parse(raw: &str) -> Option<ProviderKind> {
        ProviderKind::ALL
            .into_iter()
            .find(|k| k.as_str() == raw.trim() || k.label() == raw.trim())
    }
}

/// A provider as recorded: what it provides, for which public-service item if any, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderFields {
    pub name: String,
    pub kind: ProviderKind,
    /// What it provides, in the words of the agreement (助餐、探访关爱…).
    pub provides: String,
    /// The public-service item it delivers (`GF-001`), if it delivers one.
    pub item_code: Option<String>,
    pub contact: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl ProviderFields {
    /// Checks what a form or an API sends; `Err` names the field.
    pub fn validate(&self) -> Result<(), String> {
        let limits = [
            ("服务提供方名称", &self.name, 100, true),
            ("服务内容", &self.provides, 500, true),
            ("联系方式", &self.contact, 100, false),
        ];
        for (label, value, max, required) in limits {
            if required && value.trim().is_empty() {
                return Err(format!("请填写{label}"));
            }
            if value.chars().count() > max {
                return Err(format!("{label}不能超过 {max} 个字"));
            }
        }
        if let Some(end) = self.ends_on
            && end < self.starts_on
        {
            return Err(format!(
                "服务结束日期 {end} 早于开始日期 {}",
                self.starts_on
            ));
        }
        Ok(())
    }

    /// Whether it serves on `day`.
    pub fn serves_on(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|end| day <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ProviderFields {
        ProviderFields {
            name: "和平区乐龄社工服务中心".into(),
            kind: ProviderKind::GovernmentPurchase,
            provides: "老年人助餐、探访关爱".into(),
            item_code: Some("GF-001".into()),
            contact: "022-12345678".into(),
            starts_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            ends_on: Some(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
        }
    }

    #[test]
    fn providers_are_checked_and_serve_within_their_period() {
        let f = fields();
        f.validate().unwrap();
        assert!(f.serves_on(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()));
        assert!(!f.serves_on(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        let bad = ProviderFields {
            name: " ".into(),
            ..fields()
        };
        assert_eq!(bad.validate().unwrap_err(), "请填写服务提供方名称");
        let bad = ProviderFields {
            ends_on: NaiveDate::from_ymd_opt(2025, 12, 31),
            ..fields()
        };
        assert!(bad.validate().unwrap_err().contains("早于开始日期"));
        assert_eq!(
            ProviderKind::parse("志愿服务"),
            Some(ProviderKind::Volunteers)
        );
        assert_eq!(ProviderKind::parse("其他"), None);
    }
}
