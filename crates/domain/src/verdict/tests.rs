//! Every rule on a hand-made case, then the engine against a naive oracle written from the
//! rules' wording over generated cases.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::catalog::DirectoryItem;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
}

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn item(kind: DirectoryKind, department: &str, applicability: Applicability) -> DirectoryItem {
    DirectoryItem {
        code: ItemCode::numbered(kind, 1),
        name: "协助开展人口普查".into(),
        category: String::new(),
        basis: String::new(),
        department: department.into(),
        village_role: String::new(),
        support: String::new(),
        applicability,
        valid_from: day() - Duration::days(100),
        valid_to: None,
        guide: None,
        refusal_guidance: None,
        source: String::new(),
        is_demo: true,
    }
}

fn effective(item: &DirectoryItem) -> EffectiveItem<'_> {
    EffectiveItem {
        item,
        refinement: None,
        applicability: Some(item.applicability),
        valid_from: item.valid_from,
        valid_to: item.valid_to,
    }
}

const COMMUNITY: &str = "120101001001";

fn case<'a>(basis: Basis<'a>, sender_name: &'a str, region: &str) -> Case<'a> {
    Case {
        sender: Sender {
            department: "120101000000-007",
            name: sender_name,
            region: code(region),
        },
        target: Target {
            unit: code(COMMUNITY),
            kind: RegionKind::Community,
        },
        day: day(),
        basis,
        prohibited: &[],
        candidates: None,
    }
}

fn rules(v: &Verdict) -> Vec<&'static str> {
    v.rules().collect()
}

#[test]
fn an_item_in_force_for_the_unit_sent_by_its_department_is_allowed() {
    let it = item(
        DirectoryKind::Assistance,
        "区统计局、区卫生健康委",
        Applicability::Both,
    );
    let basis = Basis::Item {
        code: &it.code,
        kind: DirectoryKind::Assistance,
        version: 3,
        item: Some(effective(&it)),
    };
    let v = judge(&case(basis.clone(), "天津市和平区卫生健康委员会", "120101"));
    assert_eq!(v.outcome, Outcome::Allowed);
    assert_eq!(rules(&v), ["item.allows"]);
    assert_eq!(v.reasons[0].directory_version, Some(3));
    assert!(
        v.reasons[0].message.contains("第 3 版"),
        "{}",
        v.reasons[0].message
    );
    // The city body is the district body's superior; a township hands down to its own units.
    assert_eq!(
        judge(&case(basis.clone(), "市卫生健康委", "12")).outcome,
        Outcome::Allowed
    );
    assert_eq!(
        judge(&case(basis.clone(), "", "120101001")).outcome,
        Outcome::Allowed
    );
    let other_township = judge(&case(basis, "", "120101002"));
    assert_eq!(rules(&other_township), ["sender.not_responsible"]);
}

#[test]
fn every_blocking_rule_says_why() {
    let none = judge(&case(Basis::Nothing, "区民政局", "120101"));
    assert_eq!(
        (none.outcome, rules(&none)),
        (Outcome::Blocked, vec!["basis.missing"])
    );
    assert!(none.reasons[0].message.contains("未引用"));
    let about = [ItemCode::numbered(DirectoryKind::Assistance, 8)];
    let mut suggested = case(Basis::Nothing, "区民政局", "120101");
    suggested.candidates = Some(&about);
    let v = judge(&suggested);
    assert_eq!(
        rules(&v),
        ["basis.missing"],
        "a suggestion, not another finding"
    );
    assert!(
        v.reasons[0].message.ends_with("最相符的目录事项：XZ-008"),
        "{}",
        v.reasons[0].message
    );

    let cert = item(DirectoryKind::CertificateMayIssue, "", Applicability::Both);
    let v = judge(&case(
        Basis::Item {
            code: &cert.code,
            kind: DirectoryKind::CertificateMayIssue,
            version: 1,
            item: Some(effective(&cert)),
        },
        "区民政局",
        "120101",
    ));
    assert_eq!(rules(&v), ["item.not_a_task"]);

    let code_x = ItemCode::numbered(DirectoryKind::Duty, 99);
    let v = judge(&case(
        Basis::Item {
            code: &code_x,
            kind: DirectoryKind::Duty,
            version: 2,
            item: None,
        },
        "区民政局",
        "120101",
    ));
    assert_eq!(rules(&v), ["item.unknown"]);
    assert!(v.reasons[0].message.contains("第 2 版"));

    let mut late = item(DirectoryKind::Duty, "区民政局", Applicability::Village);
    late.valid_from = day() + Duration::days(1);
    let v = judge(&case(
        Basis::Item {
            code: &late.code,
            kind: DirectoryKind::Duty,
            version: 1,
            item: Some(effective(&late)),
        },
        "区教育局",
        "120101",
    ));
    assert_eq!(
        rules(&v),
        [
            "item.not_in_force",
            "item.kind_mismatch",
            "sender.not_responsible"
        ],
        "every rule that applies is named"
    );
    assert_eq!(v.outcome, Outcome::Blocked);

    let hit_code = ItemCode::numbered(DirectoryKind::ProhibitedTask, 1);
    let hits = [ProhibitedHit {
        code: &hit_code,
        name: "以村（社区）名义开展征地拆迁",
        version: 1,
    }];
    let mut c = case(Basis::Nothing, "区民政局", "120101");
    c.prohibited = &hits;
    let v = judge(&c);
    assert_eq!(rules(&v), ["basis.missing", "task.prohibited"]);
    assert!(v.reasons[1].message.contains("征地拆迁"));
}

#[test]
fn an_admitted_task_allows_its_own_department_in_its_scope_and_period() {
    let scope = [ScopeEntry {
        unit: code("120101"),
        subtree: true,
        applies: Applicability::Community,
    }];
    let task = AdmittedFacts {
        department: "120101000000-007",
        scope: &scope,
        starts_on: day() - Duration::days(1),
        ends_on: day() + Duration::days(30),
        revoked_on: None,
    };
    let basis = Basis::Admitted {
        code: "ZR-120101-2027-001",
        task: Some(&task),
    };
    let v = judge(&case(basis.clone(), "区卫生健康委", "120101"));
    assert_eq!(
        (v.outcome, rules(&v)),
        (Outcome::Allowed, vec!["admission.allows"])
    );

    let mut c = case(basis, "区卫生健康委", "120101");
    c.target.kind = RegionKind::Village;
    c.sender.department = "120101000000-004";
    assert_eq!(
        rules(&judge(&c)),
        ["admission.outside_scope", "admission.other_department"]
    );
    let revoked = AdmittedFacts {
        revoked_on: Some(day()),
        ..task
    };
    let v = judge(&case(
        Basis::Admitted {
            code: "ZR-120101-2027-001",
            task: Some(&revoked),
        },
        "区卫生健康委",
        "120101",
    ));
    assert_eq!(rules(&v), ["admission.not_in_force"]);
    assert!(v.reasons[0].message.contains("撤销"));
    let unknown = judge(&case(
        Basis::Admitted {
            code: "ZR-9",
            task: None,
        },
        "区卫生健康委",
        "120101",
    ));
    assert_eq!(rules(&unknown), ["admission.unknown"]);
}

#[test]
fn text_that_does_not_fit_the_cited_item_is_flagged_not_blocked() {
    let it = item(DirectoryKind::Assistance, "", Applicability::Both);
    let basis = Basis::Item {
        code: &it.code,
        kind: DirectoryKind::Assistance,
        version: 1,
        item: Some(effective(&it)),
    };
    let other = [ItemCode::numbered(DirectoryKind::Assistance, 7)];
    let mut c = case(basis, "区民政局", "120101");
    c.candidates = Some(&other);
    let v = judge(&c);
    assert_eq!(v.outcome, Outcome::Flagged);
    assert_eq!(rules(&v), ["item.allows", "text.mismatch"]);
    c.candidates = Some(&[]);
    assert_eq!(rules(&judge(&c)), ["item.allows", "text.unmatched"]);
    let same = [it.code];
    c.candidates = Some(&same);
    assert_eq!(judge(&c).outcome, Outcome::Allowed);
}

#[test]
fn department_names_compare_by_their_core() {
    assert!(responsible("区卫生健康委", "天津市和平区卫生健康委员会"));
    assert!(responsible(
        "区民政局、街道办事处（乡镇人民政府）",
        "市民政局"
    ));
    assert!(responsible("区商务局、发展改革委", "区发展改革委"));
    assert!(responsible("", "任何部门"));
    assert!(!responsible("区民政局", "区教育局"));
    assert!(!responsible("区民政局", ""));
    assert!(responsible("市委组织部", "中共天津市委员会组织部"));
    assert!(!responsible("区委员会", "区委员"));
}

proptest! {
    /// Comparing as the characters come (no allocation) says what comparing the cores as
    /// strings says.
    #[test]
    fn responsible_compares_the_core_names(
        item in proptest::collection::vec(
            proptest::sample::select(vec!["天津市", "和平区", "中共", "市", "委员会", "委", "员会", "民政局", "、", "卫生健康", " "]),
            0..6,
        ),
        sender in proptest::collection::vec(
            proptest::sample::select(vec!["天津市", "和平区", "中共", "市", "委员会", "委", "员会", "民政局", "卫生健康"]),
            0..6,
        ),
    ) {
        let (item, sender) = (item.concat(), sender.concat());
        let names: Vec<&str> = item
            .split(['、', '，', ',', '；', ';', '/'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        let expected = names.is_empty()
            || (!core_name(&sender).is_empty()
                && names.iter().any(|n| core_name(n) == core_name(&sender)));
        prop_assert_eq!(responsible(&item, &sender), expected);
    }
}

#[test]
fn every_rule_has_its_own_code() {
    let mut codes: Vec<&str> = Rule::ALL.iter().map(|r| r.code()).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), Rule::ALL.len());
}

// ---- the oracle ----

const KINDS: [DirectoryKind; 7] = DirectoryKind::ALL;
/// Item departments, and which senders (by class) each names; empty names nobody in
/// particular, so everyone.
const ITEM_DEPARTMENTS: [(&str, &[&str]); 4] = [
    ("区民政局", &["mz"]),
    ("区卫生健康委", &["wj"]),
    ("", &["mz", "wj", "jy", "none"]),
    ("区民政局、街道办事处（乡镇人民政府）", &["mz"]),
];
/// Senders' names with their class.
const SENDER_NAMES: [(&str, &str); 5] = [
    ("区民政局", "mz"),
    ("市民政局", "mz"),
    ("天津市和平区卫生健康委员会", "wj"),
    ("区教育局", "jy"),
    ("", "none"),
];
/// Where senders sit: a district, the city, a township and another township of it.
const SENDER_REGIONS: [&str; 4] = ["120101", "12", "120101001", "120101002"];
/// Targets: a unit of the first township, of the second, and of another district.
const TARGETS: [&str; 3] = ["120101001001", "120101002001", "120119100201"];
const DEPARTMENTS: [&str; 2] = ["120101000000-007", "120101000000-004"];

#[derive(Debug, Clone)]
struct Gen {
    basis: u8,
    kind: usize,
    present: bool,
    from: i64,
    to: Option<i64>,
    applicability: Option<usize>,
    item_department: usize,
    sender_name: usize,
    sender_region: usize,
    sender_department: usize,
    target: usize,
    target_is_village: bool,
    admitted_present: bool,
    admitted_department: usize,
    /// Which scope: the whole district's communities, the first township's units, one unit.
    scope: usize,
    starts: i64,
    ends: i64,
    revoked: Option<i64>,
    hits: usize,
    /// None, no candidates, the cited item among them, or only others.
    text: u8,
}

fn cases() -> impl Strategy<Value = Gen> {
    (
        (
            0u8..3,
            0..KINDS.len(),
            any::<bool>(),
            -3i64..3,
            prop::option::of(-3i64..3),
        ),
        (
            prop::option::of(0usize..3),
            0..ITEM_DEPARTMENTS.len(),
            0..SENDER_NAMES.len(),
        ),
        (
            0..SENDER_REGIONS.len(),
            0..2usize,
            0..TARGETS.len(),
            any::<bool>(),
        ),
        (
            any::<bool>(),
            0..2usize,
            0..3usize,
            -3i64..3,
            -3i64..3,
            prop::option::of(-3i64..3),
        ),
        (0..3usize, 0u8..4),
    )
        .prop_map(|(a, b, c, d, e)| Gen {
            basis: a.0,
            kind: a.1,
            present: a.2,
            from: a.3,
            to: a.4,
            applicability: b.0,
            item_department: b.1,
            sender_name: b.2,
            sender_region: c.0,
            sender_department: c.1,
            target: c.2,
            target_is_village: c.3,
            admitted_present: d.0,
            admitted_department: d.1,
            scope: d.2,
            starts: d.3,
            ends: d.4,
            revoked: d.5,
            hits: e.0,
            text: e.1,
        })
}

/// The rule codes the rules' wording gives for `g`, worked out without the engine.
fn oracle(g: &Gen) -> Vec<&'static str> {
    let mut out = Vec::new();
    let target = TARGETS[g.target];
    match g.basis {
        0 => out.push("basis.missing"),
        1 => {
            let kind = KINDS[g.kind];
            let task_list = matches!(
                kind,
                DirectoryKind::Duty
                    | DirectoryKind::Assistance
                    | DirectoryKind::MechanismSign
                    | DirectoryKind::PublicService
            );
            if !task_list {
                out.push("item.not_a_task");
            } else if !g.present {
                out.push("item.unknown");
            } else {
                let in_force = g.from <= 0 && g.to.is_none_or(|t| 0 <= t);
                if !in_force {
                    out.push("item.not_in_force");
                }
                let fits = match g.applicability {
                    None => false,
                    Some(0) => g.target_is_village,
                    Some(1) => !g.target_is_village,
                    _ => true,
                };
                if !fits {
                    out.push("item.kind_mismatch");
                }
                let region = SENDER_REGIONS[g.sender_region];
                let own_township = region.len() == 9 && target.starts_with(region);
                let class = SENDER_NAMES[g.sender_name].1;
                let named = ITEM_DEPARTMENTS[g.item_department].1.contains(&class);
                if !own_township && !named {
                    out.push("sender.not_responsible");
                }
                if in_force && fits && (own_township || named) {
                    out.push("item.allows");
                }
            }
        }
        _ => {
            if !g.admitted_present {
                out.push("admission.unknown");
            } else {
                let revoked_before = g.revoked.is_some_and(|r| r <= 0);
                let in_period = g.starts <= 0 && 0 <= g.ends;
                let live = in_period && !revoked_before;
                if !live {
                    out.push("admission.not_in_force");
                }
                let covered = match g.scope {
                    0 => target.starts_with("120101") && !g.target_is_village,
                    1 => target.starts_with("120101001"),
                    _ => target == "120101001001",
                };
                if !covered {
                    out.push("admission.outside_scope");
                }
                let own = g.admitted_department == g.sender_department;
                if !own {
                    out.push("admission.other_department");
                }
                if live && covered && own {
                    out.push("admission.allows");
                }
            }
        }
    }
    out.extend(std::iter::repeat_n("task.prohibited", g.hits));
    if g.basis == 1 {
        match g.text {
            1 => out.push("text.unmatched"),
            3 => out.push("text.mismatch"),
            _ => {}
        }
    }
    out
}

fn outcome_of(rules: &[&str]) -> Outcome {
    let blocks = |r: &&str| {
        !matches!(
            *r,
            "item.allows" | "admission.allows" | "text.unmatched" | "text.mismatch"
        )
    };
    if rules.iter().any(blocks) {
        Outcome::Blocked
    } else if rules.iter().any(|r| r.starts_with("text.")) {
        Outcome::Flagged
    } else {
        Outcome::Allowed
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100_000))]

    /// The engine names exactly the rules the oracle does, in any order, and decides alike.
    #[test]
    fn judge_agrees_with_the_oracle(g in cases()) {
        let kind = KINDS[g.kind];
        let mut it = item(kind, ITEM_DEPARTMENTS[g.item_department].0, Applicability::Both);
        it.valid_from = day() + Duration::days(g.from);
        it.valid_to = g.to.map(|t| day() + Duration::days(t));
        let eff = EffectiveItem {
            item: &it,
            refinement: None,
            applicability: g.applicability.map(|a| Applicability::ALL[[1, 2, 0][a]]),
            valid_from: it.valid_from,
            valid_to: it.valid_to,
        };
        let scopes = [
            ScopeEntry { unit: code("120101"), subtree: true, applies: Applicability::Community },
            ScopeEntry { unit: code("120101001"), subtree: true, applies: Applicability::Both },
            ScopeEntry { unit: code("120101001001"), subtree: false, applies: Applicability::Both },
        ];
        let task = AdmittedFacts {
            department: DEPARTMENTS[g.admitted_department],
            scope: std::slice::from_ref(&scopes[g.scope]),
            starts_on: day() + Duration::days(g.starts),
            ends_on: day() + Duration::days(g.ends),
            revoked_on: g.revoked.map(|r| day() + Duration::days(r)),
        };
        let basis = match g.basis {
            0 => Basis::Nothing,
            1 => Basis::Item { code: &it.code, kind, version: 1, item: g.present.then_some(eff) },
            _ => Basis::Admitted { code: "ZR-120101-2027-001", task: g.admitted_present.then_some(&task) },
        };
        let hit_code = ItemCode::numbered(DirectoryKind::ProhibitedTask, 1);
        let hits = vec![ProhibitedHit { code: &hit_code, name: "征地拆迁", version: 1 }; g.hits];
        let others = [ItemCode::numbered(kind, 2)];
        let with_it = [others[0], it.code];
        let candidates: Option<&[ItemCode]> = match g.text {
            0 => None,
            1 => Some(&[]),
            2 => Some(&with_it),
            _ => Some(&others),
        };
        let case = Case {
            sender: Sender {
                department: DEPARTMENTS[g.sender_department],
                name: SENDER_NAMES[g.sender_name].0,
                region: code(SENDER_REGIONS[g.sender_region]),
            },
            target: Target {
                unit: code(TARGETS[g.target]),
                kind: if g.target_is_village { RegionKind::Village } else { RegionKind::Community },
            },
            day: day(),
            basis,
            prohibited: &hits,
            candidates,
        };
        let verdict = judge(&case);
        let mut got: Vec<&str> = verdict.rules().collect();
        let mut expected = oracle(&g);
        prop_assert_eq!(verdict.outcome, outcome_of(&expected), "{:?}", g);
        got.sort_unstable();
        expected.sort_unstable();
        prop_assert_eq!(got, expected, "{:?}", g);
        prop_assert!(verdict.reasons.iter().all(|r| !r.message.is_empty()));
    }
}
