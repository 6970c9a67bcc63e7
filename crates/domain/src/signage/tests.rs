use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::catalog::{DirectoryItem, DirectoryKind, ItemCode, refined};

fn mechanism_item(n: u32, name: &str, village_role: &str) -> DirectoryItem {
    DirectoryItem {
        code: ItemCode::numbered(DirectoryKind::MechanismSign, n),
        name: name.into(),
        category: "工作机制".into(),
        basis: "《中华人民共和国人民调解法》".into(),
        department: "区司法局".into(),
        village_role: village_role.into(),
        support: String::new(),
        applicability: Applicability::Both,
        valid_from: NaiveDate::from_ymd_opt(2023, 6, 1).unwrap(),
        valid_to: None,
        guide: None,
        refusal_guidance: None,
        source: String::new(),
        is_demo: true,
    }
}

fn items() -> Vec<DirectoryItem> {
    vec![
        mechanism_item(1, "人民调解委员会", "调解民间纠纷"),
        mechanism_item(4, "村（居）务监督委员会", "监督村（居）务"),
        mechanism_item(7, "禁毒工作站", "配备专职禁毒社工"),
    ]
}

fn outside(name: &str) -> Sign {
    Sign {
        name: name.into(),
        position: Position::Outside,
        represents: String::new(),
    }
}

fn inside(name: &str) -> Sign {
    Sign {
        position: Position::Inside,
        ..outside(name)
    }
}

fn centre(total: u64, activity: u64) -> ServiceCentre {
    ServiceCentre {
        total_area: total * 100,
        activity_area: activity * 100,
        office_area: 0,
    }
}

/// "一横四竖两标识" as a village hangs them.
fn village_signs() -> Vec<Sign> {
    [
        "小王庄村党群服务中心",
        "中共小王庄村委员会",
        "小王庄村村民委员会",
        "小王庄村村务监督委员会",
        "小王庄村股份经济合作社",
        "党徽",
        "中国社区标识",
    ]
    .into_iter()
    .map(outside)
    .collect()
}

fn checks(registry: &Registry, kind: RegionKind, rules: &RuleSet) -> Vec<Check> {
    checks_with(registry, kind, rules, &[])
}

fn checks_with(
    registry: &Registry,
    kind: RegionKind,
    rules: &RuleSet,
    admitted: &[AdmittedBasis<'_>],
) -> Vec<Check> {
    let items = items();
    let effective: Vec<_> = items
        .iter()
        .map(|i| refined(DirectoryKind::MechanismSign, i, None))
        .collect();
    let facts = Facts {
        kind,
        rules,
        mechanisms: &effective,
        admitted,
    };
    compliance(registry, &facts)
        .into_iter()
        .map(|n| {
            assert!(!n.reason.is_empty() && !n.object.is_empty());
            n.check
        })
        .collect()
}

#[test]
fn the_tianjin_default_admits_one_horizontal_four_vertical_and_two_marks() {
    let rules = RuleSet::tianjin();
    rules.validate().unwrap();
    let registry = Registry {
        signs: village_signs(),
        centre: Some(centre(500, 300)),
        ..Default::default()
    };
    assert_eq!(checks(&registry, RegionKind::Village, &rules), vec![]);
}

#[test]
fn seven_outside_signs_with_extras_and_half_the_area_for_residents_are_flagged() {
    let rules = RuleSet::tianjin();
    let registry = Registry {
        signs: [
            "小王庄村党群服务中心",
            "中共小王庄村委员会",
            "小王庄村村民委员会",
            "小王庄村村务监督委员会",
            "小王庄村综治中心",
            "新时代文明实践站",
            "退役军人服务站",
        ]
        .into_iter()
        .map(outside)
        .collect(),
        centre: Some(centre(400, 200)),
        ..Default::default()
    };
    let items = items();
    let effective: Vec<_> = items
        .iter()
        .map(|i| refined(DirectoryKind::MechanismSign, i, None))
        .collect();
    let found = compliance(
        &registry,
        &Facts {
            kind: RegionKind::Village,
            rules: &rules,
            mechanisms: &effective,
            admitted: &[],
        },
    );
    let objects: Vec<&str> = found.iter().map(|n| n.object.as_str()).collect();
    assert_eq!(
        objects,
        [
            "外部标牌“小王庄村综治中心”",
            "外部标牌“新时代文明实践站”",
            "外部标牌“退役军人服务站”",
            "党群服务中心",
        ]
    );
    assert!(found[0].reason.contains("一横") || found[0].reason.contains("党群服务中心"));
    assert_eq!(found[3].check, Check::ActivityShare);
    assert!(
        found[3].reason.contains("50%") && found[3].reason.contains("60%"),
        "{}",
        found[3].reason
    );
}

#[test]
fn communities_hang_the_community_variant_and_may_do_without_an_economic_organisation() {
    let rules = RuleSet::tianjin();
    let community: Vec<Sign> = [
        "朝阳里社区党群服务中心",
        "中共朝阳里社区委员会",
        "朝阳里社区居民委员会",
        "朝阳里社区居务监督委员会",
        "党徽",
        "中国社区标识",
    ]
    .into_iter()
    .map(outside)
    .collect();
    let registry = Registry {
        signs: community,
        ..Default::default()
    };
    assert_eq!(checks(&registry, RegionKind::Community, &rules), vec![]);
    // The village variant is not the community's, nor the other way round.
    let village = Registry {
        signs: village_signs(),
        ..Default::default()
    };
    assert_eq!(
        checks(&village, RegionKind::Community, &rules),
        vec![Check::OutsideWrongKind, Check::OutsideWrongKind]
    );
    assert_eq!(
        checks(&registry, RegionKind::Village, &rules),
        vec![Check::OutsideWrongKind, Check::OutsideWrongKind]
    );
}

#[test]
fn an_allowed_sign_hangs_once() {
    let mut signs = village_signs();
    signs.push(outside("党 徽"));
    let registry = Registry {
        signs,
        ..Default::default()
    };
    assert_eq!(
        checks(&registry, RegionKind::Village, &RuleSet::tianjin()),
        vec![Check::OutsideRepeated]
    );
}

#[test]
fn inside_signs_need_a_mechanism_of_the_directory_or_an_inside_rule() {
    let mut rules = RuleSet::tianjin();
    let registry = Registry {
        signs: vec![
            inside("小王庄村人民调解委员会"),
            inside("村务监督委员会"),
            inside("网格化管理服务站"),
            inside("党员活动室"),
        ],
        ..Default::default()
    };
    assert_eq!(
        checks(&registry, RegionKind::Village, &rules),
        vec![Check::InsideWithoutBasis, Check::InsideWithoutBasis]
    );
    rules.rules.push(SignRule {
        name: "党员活动室".into(),
        position: Position::Inside,
        applicability: Applicability::Both,
        note: String::new(),
    });
    assert_eq!(
        checks(&registry, RegionKind::Village, &rules),
        vec![Check::InsideWithoutBasis]
    );
}

#[test]
fn mechanisms_rest_on_the_directory_or_an_admission() {
    let rules = RuleSet::tianjin();
    let mechanism = |name: &str, basis: Option<&str>, dedicated_staff: bool| Mechanism {
        name: name.into(),
        set_up_by: "区某局".into(),
        dedicated_staff,
        basis: basis.map(str::to_owned),
    };
    let registry = Registry {
        mechanisms: vec![
            mechanism("人民调解委员会", None, false),
            mechanism("调解组", Some("jp-001"), false),
            mechanism("创卫工作领导小组", None, false),
            mechanism("垃圾分类督导站", Some("ZR-2026-0007"), true),
            mechanism("数据专班", Some("JP-999"), false),
            mechanism("人民调解委员会", None, true),
            mechanism("禁毒工作站", None, true),
        ],
        signs: vec![inside("垃圾分类督导站")],
        ..Default::default()
    };
    let admitted = [AdmittedBasis {
        code: "ZR-2026-0007",
    }];
    assert_eq!(
        checks_with(&registry, RegionKind::Village, &rules, &admitted),
        vec![
            Check::MechanismWithoutBasis,
            Check::MechanismWithoutBasis,
            Check::DedicatedStaff,
        ]
    );
    // Without the admission, the sign, the mechanism and its post have nothing to rest on.
    assert_eq!(
        checks(&registry, RegionKind::Village, &rules),
        vec![
            Check::InsideWithoutBasis,
            Check::MechanismWithoutBasis,
            Check::MechanismWithoutBasis,
            Check::DedicatedStaff,
            Check::MechanismWithoutBasis,
            Check::DedicatedStaff,
        ]
    );
}

#[test]
fn the_activity_share_is_exact() {
    let rules = RuleSet::tianjin();
    let at = |activity: u64| Registry {
        centre: Some(ServiceCentre {
            total_area: 10_000,
            activity_area: activity,
            office_area: 0,
        }),
        ..Default::default()
    };
    assert_eq!(checks(&at(6_000), RegionKind::Village, &rules), vec![]);
    assert_eq!(
        checks(&at(5_999), RegionKind::Village, &rules),
        vec![Check::ActivityShare]
    );
}

#[test]
fn another_region_with_other_rules_judges_by_its_own() {
    let rules = RuleSet {
        rules: vec![
            SignRule {
                name: "XX便民服务中心".into(),
                position: Position::Outside,
                applicability: Applicability::Both,
                note: String::new(),
            },
            SignRule {
                name: "XX村民委员会".into(),
                position: Position::Outside,
                applicability: Applicability::Village,
                note: String::new(),
            },
        ],
        min_activity_percent: 70,
    };
    rules.validate().unwrap();
    let registry = Registry {
        signs: vec![
            outside("小王庄村便民服务中心"),
            outside("小王庄村村民委员会"),
        ],
        centre: Some(centre(100, 65)),
        ..Default::default()
    };
    assert_eq!(
        checks(&registry, RegionKind::Village, &rules),
        vec![Check::ActivityShare]
    );
    let tianjin = Registry {
        signs: village_signs(),
        ..Default::default()
    };
    assert_eq!(
        checks(&tianjin, RegionKind::Village, &rules).len(),
        village_signs().len() - 1
    );
}

#[test]
fn bad_rule_sets_and_registries_are_named() {
    let mut rules = RuleSet::tianjin();
    rules.rules.push(SignRule {
        name: " 党徽 ".into(),
        ..rules.rules[7].clone()
    });
    let e = rules.validate().unwrap_err();
    assert!(e.contains("第 10 条") && e.contains("第 8 条"), "{e}");
    rules.rules.pop();
    rules.rules[0].name = "XX".into();
    assert!(rules.validate().unwrap_err().contains("第 1 条"));
    let registry = Registry {
        signs: vec![outside("党徽"), outside(" ")],
        ..Default::default()
    };
    assert_eq!(
        registry.validate().unwrap_err(),
        "第 2 块标牌：名称不能为空"
    );
    let registry = Registry {
        centre: Some(ServiceCentre {
            total_area: 10_000,
            activity_area: 8_000,
            office_area: 3_050,
        }),
        ..Default::default()
    };
    assert!(registry.validate().unwrap_err().contains("30.5 平方米"));
}

#[test]
fn bracketed_names_read_both_ways() {
    assert_eq!(
        variants("村（居）务监督委员会"),
        ["村务监督委员会", "居务监督委员会"]
    );
    assert_eq!(
        variants("妇女联合会（妇女代表大会）"),
        ["妇女联合会", "妇女代表大会"]
    );
    assert_eq!(area(12_345), "123.45 平方米");
    assert_eq!(area(12_000), "120 平方米");
}

proptest! {
    /// Whatever XX stands for and in whatever order, the allowed signs comply, and every sign
    /// that no rule names adds one non-compliance of its own.
    #[test]
    fn allowed_signs_comply_and_each_stranger_is_flagged(
        unit in "[甲乙丙丁]{1,4}",
        village in any::<bool>(),
        keys in proptest::collection::vec(any::<u32>(), 12),
        strangers in proptest::collection::vec("[一二三四五]{2,6}(站|室|办公室)", 0..4),
    ) {
        let rules = RuleSet::tianjin();
        let kind = if village { RegionKind::Village } else { RegionKind::Community };
        let mut signs: Vec<Sign> = rules
            .rules
            .iter()
            .filter(|r| r.applicability.applies_to(kind))
            .map(|r| outside(&r.name.replace("XX", &unit)))
            .collect();
        signs.extend(strangers.iter().map(|s| outside(s)));
        // In an order of the keys' choosing.
        let mut keyed: Vec<(u32, Sign)> = keys.into_iter().zip(signs).collect();
        keyed.sort_by_key(|(k, _)| *k);
        let shuffled: Vec<Sign> = keyed.into_iter().map(|(_, s)| s).collect();
        let registry = Registry { signs: shuffled, ..Default::default() };
        let found = checks(&registry, kind, &rules);
        prop_assert_eq!(found.len(), strangers.len());
        prop_assert!(found.iter().all(|c| *c == Check::OutsideNotAllowed));
    }
}
