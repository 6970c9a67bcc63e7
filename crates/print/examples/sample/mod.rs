//! A made-up directory version for the tests and the example.

use chrono::NaiveDate;
use jianfu_domain::catalog::{
    Applicability, DirectoryItem, DirectoryKind, DirectoryVersion, ItemCode, ServiceGuide,
};

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Version 3 of `kind` with `count` items; every third is a demo item and every fifth has a
/// basis long enough to fill half a page, so a few items already wrap across pages.
pub fn version(kind: DirectoryKind, count: u32) -> DirectoryVersion {
    let items = (1..=count)
        .map(|n| {
            let long = n % 5 == 0;
            let basis = if long {
                "《中华人民共和国城市居民委员会组织法》第三条、第二十条；《天津市实施〈中华人民共和国城市居民委员会组织法〉办法》第十二条；民政部等六部门《关于改进和规范基层群众性自治组织出具证明工作的指导意见》（民发〔2020〕20号）。".repeat(12)
            } else {
                "《中华人民共和国村民委员会组织法》第二条".to_owned()
            };
            let guide = (kind == DirectoryKind::CertificateMayIssue).then(|| ServiceGuide {
                materials: format!("居民身份证、户口簿原件及复印件；居住满 {n} 个月的证明材料（租房合同或房产证）"),
                conditions: "申请人在本社区实际居住".into(),
                steps: if long {
                    "申请人提出申请→社区工作人员核实→两名工作人员入户走访→居委会主任签字→加盖公章→登记台账。".repeat(6)
                } else {
                    String::new()
                },
                time_limit_days: Some(n % 4 + 1),
                demanding_agency: "区人力资源和社会保障局".into(),
                template: "兹证明……".into(),
            });
            let refusal = (kind == DirectoryKind::CertificateMustNotIssue)
                .then(|| "请申请人持户口簿到户籍所在地派出所办理，或通过“津心办”查询相关信息。".to_owned());
            DirectoryItem {
                code: ItemCode::numbered(kind, n),
                name: format!("为居民出具在本社区居住情况证明（第{n}项）"),
                category: "居住情况".into(),
                basis,
                department: "天津市民政局、中共天津市委组织部".into(),
                village_role: "核实并出具".into(),
                support: String::new(),
                applicability: [Applicability::Both, Applicability::Village, Applicability::Community]
                    [n as usize % 3],
                valid_from: day("2024-01-01"),
                valid_to: None,
                guide,
                refusal_guidance: refusal,
                source: "https://example.invalid/list".into(),
                is_demo: n % 3 == 0,
            }
        })
        .collect();
    DirectoryVersion {
        kind,
        number: 3,
        effective_from: day("2024-03-01"),
        items,
    }
}
