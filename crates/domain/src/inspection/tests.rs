use proptest::prelude::*;

use super::*;

fn code(s: &str) -> RegionCode {
    RegionCode::parse(s).unwrap()
}

fn stratum(district: &str, n: u32) -> Stratum {
    Stratum {
        district: code(district),
        units: (1..=n)
            .map(|i| code(&format!("{district}001{i:03}")))
            .collect(),
    }
}

#[test]
fn the_generator_is_the_published_splitmix64() {
    // Reference outputs of SplitMix64 (Vigna's splitmix64.c) for seeds 0 and 1234567.
    let mut g = SplitMix64(0);
    assert_eq!(g.next(), 0xE220_A839_7B1D_CDAF);
    let mut g = SplitMix64(1_234_567);
    assert_eq!(g.next(), 6_457_827_717_110_365_317);
    assert_eq!(g.next(), 3_203_168_211_198_807_973);
}

#[test]
fn the_same_seed_draws_the_same_sample_and_another_seed_another() {
    let strata = [stratum("120101", 40), stratum("120102", 30)];
    let a = sample(20261201, 5, &strata);
    assert_eq!(a, sample(20261201, 5, &strata));
    assert_ne!(a, sample(20261202, 5, &strata));
    assert_eq!(a.len(), 2);
    assert!(a.iter().all(|s| s.units.len() == 5));
}

#[test]
fn a_district_s_sample_does_not_depend_on_the_other_districts() {
    let alone = sample(7, 3, &[stratum("120102", 30)]);
    let together = sample(7, 3, &[stratum("120101", 40), stratum("120102", 30)]);
    assert_eq!(alone[0], together[1]);
    // Nor on the order the units came in.
    let mut shuffled = stratum("120102", 30);
    shuffled.units.reverse();
    assert_eq!(sample(7, 3, &[shuffled]), alone);
}

#[test]
fn a_small_district_gives_all_its_units() {
    let s = sample(1, 10, &[stratum("120103", 4)]);
    assert_eq!(s[0].units, stratum("120103", 4).units);
}

proptest! {
    #[test]
    fn a_sample_is_k_distinct_units_of_its_district(seed: u64, k in 0u32..12, n in 0u32..40) {
        let st = stratum("120104", n);
        let s = sample(seed, k, std::slice::from_ref(&st));
        prop_assert_eq!(s.len(), 1);
        let units = &s[0].units;
        prop_assert_eq!(units.len(), k.min(n) as usize);
        prop_assert!(units.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        prop_assert!(units.iter().all(|u| st.units.contains(u)));
    }
}

#[test]
fn every_unit_is_about_as_likely_to_be_drawn() {
    // 20 units, 5 drawn, 4,000 seeds: each unit expects 1,000 draws.
    let st = stratum("120105", 20);
    let mut counts = std::collections::HashMap::new();
    for seed in 0..4_000u64 {
        for u in &sample(seed, 5, std::slice::from_ref(&st))[0].units {
            *counts.entry(*u).or_insert(0u32) += 1;
        }
    }
    assert_eq!(counts.len(), 20);
    assert!(
        counts.values().all(|c| (850..=1150).contains(c)),
        "{counts:?}"
    );
}

fn member(username: &str, body: MemberBody) -> Member {
    Member {
        username: username.into(),
        name: format!("{username}同志"),
        body,
    }
}

#[test]
fn a_joint_group_draws_on_all_three_bodies() {
    let full = [
        member("a", MemberBody::CivilAffairs),
        member("b", MemberBody::Organisation),
        member("c", MemberBody::RuralWork),
    ];
    assert!(check_group("第一检查组", &full).is_empty());
    let problems = check_group(" ", &full[..2]);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[1].contains("农村工作部门"));
    let twice = [
        full[0].clone(),
        full[1].clone(),
        full[2].clone(),
        full[0].clone(),
    ];
    assert!(check_group("组", &twice)[0].contains("重复"));
}

#[test]
fn an_unannounced_plan_is_sealed_and_an_announced_one_announced() {
    let i = Role::Inspector;
    let (un, an) = (Visibility::Unannounced, Visibility::Announced);
    assert_eq!(
        plan_step(PlanStage::Draft, un, PlanAction::Seal, i, 3),
        Ok(PlanStage::Sealed)
    );
    assert!(plan_step(PlanStage::Draft, un, PlanAction::Announce, i, 3).is_err());
    assert!(plan_step(PlanStage::Draft, an, PlanAction::Seal, i, 3).is_err());
    assert!(
        plan_step(PlanStage::Draft, un, PlanAction::Seal, i, 0)
            .unwrap_err()
            .contains("抽取样本")
    );
    assert_eq!(
        plan_step(PlanStage::Draft, an, PlanAction::Announce, i, 1),
        Ok(PlanStage::Announced)
    );
    assert_eq!(
        plan_step(PlanStage::Sealed, un, PlanAction::Complete, i, 1),
        Ok(PlanStage::Completed)
    );
    assert!(plan_step(PlanStage::Completed, un, PlanAction::Complete, i, 1).is_err());
    assert!(
        plan_step(
            PlanStage::Draft,
            un,
            PlanAction::Seal,
            Role::CivilAffairs,
            3
        )
        .is_err()
    );
    assert!(!PlanStage::Sealed.disclosed() && PlanStage::Completed.disclosed());
}

fn plan() -> SealedPlan {
    SealedPlan {
        plan_id: 7,
        group: "第一检查组".into(),
        title: "2026年第四季度  暗访".into(),
        seed: 42,
        per_district: 2,
        topics: vec![Topic::Signage, Topic::Tasks],
        visits: vec![
            PlannedVisit {
                unit: code("120101001002"),
                on: "2026-12-10".parse().unwrap(),
            },
            PlannedVisit {
                unit: code("120101001001"),
                on: "2026-12-09".parse().unwrap(),
            },
        ],
        nonce: "5f1c".into(),
    }
}

#[test]
fn the_sealed_text_is_fixed_by_the_plan_not_by_its_order() {
    let p = plan();
    assert_eq!(
        p.canonical(),
        "jianfu-inspection-plan/1\nplan=7\ngroup=第一检查组\ntitle=2026年第四季度 暗访\nseed=42\n\
         per_district=2\ntopics=signage,tasks\nvisit=2026-12-09 120101001001\n\
         visit=2026-12-10 120101001002\nnonce=5f1c"
    );
    let mut q = p.clone();
    q.visits.reverse();
    assert_eq!(p.canonical(), q.canonical());
    q.visits[0].on = "2026-12-11".parse().unwrap();
    assert_ne!(
        p.canonical(),
        q.canonical(),
        "a moved visit changes the sealed text"
    );
}

#[test]
fn two_groups_at_one_unit_in_one_week_clash() {
    let v = |plan_id, group_id, unit: &str, on: &str| Visit {
        plan_id,
        group_id,
        unit: code(unit),
        on: on.parse().unwrap(),
    };
    let visits = [
        v(1, 10, "120101001001", "2026-12-07"), // Monday
        v(2, 11, "120101001001", "2026-12-13"), // Sunday, same week
        v(3, 10, "120101001001", "2026-12-09"), // the same group again: no clash by itself
        v(4, 12, "120101001001", "2026-12-14"), // next week
        v(5, 12, "120101001002", "2026-12-08"),
    ];
    let c = clashes(&visits);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].week_of, "2026-12-07".parse::<NaiveDate>().unwrap());
    assert_eq!(c[0].groups, vec![10, 11]);
    assert_eq!(c[0].plans, vec![1, 2, 3]);
    assert!(c[0].to_string().contains("2 个检查组"));
    assert!(clashes(&visits[2..]).is_empty());
}

#[test]
fn every_topic_has_a_checklist_and_codes_are_unique() {
    for t in Topic::ALL {
        assert!(t.items().count() >= 2, "{t:?}");
        assert_eq!(Topic::from_code(t.code()), Some(t));
    }
    let mut codes: Vec<_> = CHECKLIST.iter().map(|i| i.code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), CHECKLIST.len());
    assert_eq!(
        check_item("signage.outside_signs").unwrap().topic,
        Topic::Signage
    );
}

#[test]
fn visits_are_spread_over_working_days() {
    let cal = crate::workday::Calendar::default();
    let units: Vec<_> = (1..=5).map(|i| code(&format!("120101001{i:03}"))).collect();
    // Saturday 2026-12-05: the first working day is Monday the 7th.
    let v = schedule(&units, "2026-12-05".parse().unwrap(), 2, &cal);
    let days: Vec<String> = v.iter().map(|v| v.on.to_string()).collect();
    assert_eq!(
        days,
        [
            "2026-12-07",
            "2026-12-07",
            "2026-12-08",
            "2026-12-08",
            "2026-12-09"
        ]
    );
    assert_eq!(v[4].unit, units[4]);
}
