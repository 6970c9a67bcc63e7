//! `jianfu-bench-verdict DB_URL CASES REGO_CASES MATCHES`: on a database opened as `jianfu
//! serve` opens it (the shipped directories published; after `jianfu import regions` of the
//! NBS files, every village-level unit of the country), holds every unit in memory and a
//! district refinement for every district (narrowing every other item), then times
//!
//! - `CASES` verdicts for one target each, as the dispatch check makes them
//!   (`jianfu_web::dispatch::item_verdict`): a random unit, a random cited item, a sender that
//!   is mostly its responsible department, a day between now and 2027;
//! - the same decision taken by regorus (Rego) on the same data for the first `REGO_CASES`
//!   of them, with the two engines' outcomes and rule codes compared case by case;
//! - `MATCHES` readings of a task's text (`jianfu_web::dispatch::read_text`, jieba + tantivy
//!   over the directories in force): the golden cases and a task written from each item.
//!
//! Prints one JSON line for bench/run.py.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use jianfu_domain::catalog::{
    Applicability, DirectoryKind, DistrictRefinement, Refinement, version_at,
};
use jianfu_domain::verdict::{self, Sender, Severity, Verdict};
use jianfu_domain::{Level, Region, RegionCode};
use jianfu_store::entity::region;
use jianfu_web::dispatch::{CitedItem, TaskFields, TextFacts, item_verdict, read_text};
use jianfu_web::search::{GOLDEN_CASES, Snapshot};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The allocator of the `jianfu` binary, so the measured code runs as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The decision in Rego, rule for rule as `jianfu_domain::verdict` takes it for a task that
/// cites a directory item. Department names arrive already reduced to their core
/// (`verdict::core_name`), which spares Rego the string work the Rust engine does per call.
const POLICY: &str = r#"
package jianfu

import rego.v1

item := data.items[input.item_code]

district := substring(input.unit, 0, 6)

narrowing(a, b) := b if a == "both"
narrowing(a, b) := a if { a != "both"; b == "both" }
narrowing(a, b) := a if { a != "both"; b != "both"; a == b }

applicability := item.applicability if not data.refinements[district][input.item_code]
applicability := narrowing(data.refinements[district][input.item_code], item.applicability)

in_force if { item.valid_from <= input.day; item.valid_to == null }
in_force if { item.valid_from <= input.day; input.day <= item.valid_to }

unit_kind := data.units[input.unit]

applies if applicability == "both"
applies if { applicability == "village"; unit_kind != "community" }
applies if { applicability == "community"; unit_kind != "village" }

own_township if {
	input.sender.township
	startswith(input.unit, substring(input.sender.region, 0, 9))
}

responsible if own_township
responsible if count(item.departments) == 0
responsible if { some d in item.departments; d == input.sender.core }

item_rules contains "item.unknown" if not item
item_rules contains "item.not_a_task" if { item; not item.task_list }
item_rules contains "item.not_in_force" if { item.task_list; not in_force }
item_rules contains "item.kind_mismatch" if { item.task_list; not applies }
item_rules contains "sender.not_responsible" if { item.task_list; not responsible }

text_rules contains "text.unmatched" if count(input.candidates) == 0
text_rules contains "text.mismatch" if {
	count(input.candidates) > 0
	not input.item_code in input.candidates
}

rules := item_rules | text_rules

outcome := "blocked" if {
	count(item_rules) > 0
} else := "flagged" if {
	count(text_rules) > 0
} else := "allowed"

decision := {"outcome": outcome, "rules": rules}
"#;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// One generated dispatch to one unit.
struct Generated {
    unit: usize,
    item: String,
    sender: usize,
    township_sender: bool,
    day: NaiveDate,
    text: TextFacts,
}

/// What the Rust engine decided, in the terms the Rego policy answers in.
fn decided(v: &Verdict) -> (String, BTreeSet<String>) {
    let outcome = serde_json::to_value(v.outcome).expect("outcome");
    let rules = v
        .reasons
        .iter()
        .filter(|r| r.severity != Severity::Basis)
        .map(|r| r.rule.to_owned())
        .collect();
    (outcome.as_str().expect("a string").to_owned(), rules)
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Village => "village",
        Applicability::Community => "community",
        Applicability::Both => "both",
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: jianfu-bench-verdict DB_URL CASES REGO_CASES MATCHES";
    let url = args.get(1).expect(usage);
    let arg = |i: usize| -> usize { args.get(i).expect(usage).parse().expect(usage) };
    let (cases, rego_cases, matches) = (arg(2), arg(3), arg(4));
    let db = jianfu::bootstrap::open(url).await.expect("open");

    // Every village-level unit in force, province by province, as a dispatch resolves them.
    let provinces = region::Entity::find()
        .filter(region::Column::Level.eq(Level::Province.as_str()))
        .filter(region::Column::ValidTo.is_null())
        .all(&db)
        .await
        .expect("provinces");
    let mut units: Vec<Region> = Vec::new();
    for p in provinces {
        let code = RegionCode::parse(&p.code).expect("code");
        units.extend(
            jianfu_store::region::villages_within(&db, &code)
                .await
                .expect("units"),
        );
    }
    let districts: BTreeSet<RegionCode> = units.iter().filter_map(|u| u.code.county()).collect();

    let mut versions = BTreeMap::new();
    for kind in DirectoryKind::ALL {
        let all = jianfu_store::catalog::history(&db, kind)
            .await
            .expect("load");
        versions.insert(kind, all);
    }
    // The day the versions in force now took effect: every generated day reads the same ones.
    let today = chrono::Utc::now().date_naive();
    let latest = versions
        .values()
        .filter_map(|all| all.last())
        .map(|v| v.effective_from)
        .max()
        .expect("published directories")
        .max(today);
    let mut refinements = BTreeMap::new();
    for (kind, all) in &versions {
        let Some(base) = version_at(all, latest) else {
            continue;
        };
        let narrowing: BTreeMap<_, _> = base
            .items
            .iter()
            .step_by(2)
            .map(|i| {
                let r = Refinement {
                    note: Some("区级细化".into()),
                    applicability: Some(Applicability::Village),
                    ..Default::default()
                };
                (i.code, r)
            })
            .collect();
        let per_district = districts
            .iter()
            .map(|d| DistrictRefinement {
                district: *d,
                kind: *kind,
                number: 1,
                effective_from: base.effective_from,
                entries: narrowing.clone(),
            })
            .collect::<Vec<_>>();
        refinements.insert(*kind, per_district);
    }
    let snapshot = Snapshot::build(latest, 0, versions, refinements).expect("index");

    // The items a task may cite (every directory's, so some are not task lists), the senders
    // (the departments the directories name), and one unknown code.
    let mut items: Vec<(DirectoryKind, &jianfu_domain::catalog::DirectoryItem)> = Vec::new();
    for kind in DirectoryKind::ALL {
        if let Some(v) = snapshot.in_force(kind, latest) {
            items.extend(v.items.iter().map(|i| (kind, i)));
        }
    }
    let senders: Vec<String> = items
        .iter()
        .flat_map(|(_, i)| i.department.split('、').map(str::trim))
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    let mut rng = rand::rngs::StdRng::seed_from_u64(20231201);
    let generated: Vec<Generated> = (0..cases)
        .map(|_| {
            let pick = rng.random_range(0..items.len());
            let (_, item) = items[pick];
            let code = if rng.random_bool(0.03) {
                "LZ-999".to_owned()
            } else {
                item.code.to_string()
            };
            // Mostly the item's own department; otherwise any department, or a township.
            let own = item
                .department
                .split('、')
                .next()
                .unwrap_or_default()
                .trim();
            let sender = match senders.iter().position(|s| s == own) {
                Some(i) if rng.random_bool(0.8) => i,
                _ => rng.random_range(0..senders.len()),
            };
            let candidates = match rng.random_range(0..10) {
                0 => Vec::new(),
                1 => vec![items[rng.random_range(0..items.len())].1.code],
                _ => vec![item.code],
            };
            Generated {
                unit: rng.random_range(0..units.len()),
                item: code,
                sender,
                township_sender: rng.random_bool(0.1),
                day: latest + chrono::Duration::days(rng.random_range(0..700)),
                text: TextFacts {
                    candidates,
                    prohibited: Vec::new(),
                },
            }
        })
        .collect();
    let township_of = |unit: &RegionCode| {
        RegionCode::parse(&format!("{}000", &unit.as_str()[..9])).expect("township")
    };
    let sender_of = |g: &Generated| {
        let unit = &units[g.unit].code;
        if g.township_sender {
            (String::new(), senders[g.sender].clone(), township_of(unit))
        } else {
            (
                "120101000000-004".to_owned(),
                senders[g.sender].clone(),
                // Cities without districts (东莞, 中山…) send from the province's level.
                unit.county().unwrap_or_else(|| unit.province()),
            )
        }
    };

    // Rust: one target's verdict, timed alone.
    let cited: Vec<CitedItem<'_>> = generated
        .iter()
        .map(|g| CitedItem::find(&snapshot, &g.item, g.day).expect("a well-formed code"))
        .collect();
    let from: Vec<(String, String, RegionCode)> = generated.iter().map(sender_of).collect();
    let mut times = Vec::with_capacity(cases);
    let mut rust = Vec::with_capacity(cases);
    let mut outcomes = BTreeMap::<String, usize>::new();
    for ((g, cited), (department, name, region)) in generated.iter().zip(&cited).zip(&from) {
        let sender = Sender {
            department,
            name,
            region: *region,
        };
        let started = Instant::now();
        let v = item_verdict(&snapshot, sender, &units[g.unit], g.day, cited, &g.text);
        times.push(started.elapsed());
        let d = decided(&v);
        *outcomes.entry(d.0.clone()).or_default() += 1;
        rust.push(d);
    }
    times.sort();

    // Rego: the same data as one document, the same decisions.
    let load_started = Instant::now();
    let mut unit_kinds = serde_json::Map::new();
    for u in &units {
        unit_kinds.insert(u.code.to_string(), u.kind.as_str().into());
    }
    let mut rego_items = serde_json::Map::new();
    for (kind, i) in &items {
        let departments: Vec<String> = i
            .department
            .split(['、', '，', ',', '；', ';', '/'])
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(verdict::core_name)
            .collect();
        rego_items.insert(
            i.code.to_string(),
            serde_json::json!({
                "task_list": verdict::is_task_list(*kind),
                "applicability": applicability(i.applicability),
                "valid_from": i.valid_from.to_string(),
                "valid_to": i.valid_to.map(|d| d.to_string()),
                "departments": departments,
            }),
        );
    }
    let mut rego_refinements = serde_json::Map::new();
    for kind in DirectoryKind::ALL {
        for r in snapshot.refinements(kind) {
            if kind.is_prohibitive() {
                continue;
            }
            let entry = rego_refinements
                .entry(r.district.as_str()[..6].to_owned())
                .or_insert_with(|| serde_json::json!({}));
            for (code, refinement) in &r.entries {
                if let Some(a) = refinement.applicability {
                    entry[code.to_string()] = applicability(a).into();
                }
            }
        }
    }
    let data = serde_json::json!({
        "units": unit_kinds,
        "items": rego_items,
        "refinements": rego_refinements,
    });
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("jianfu.rego".into(), POLICY.into())
        .expect("policy");
    engine
        .add_data(regorus::Value::from_json_str(&data.to_string()).expect("data"))
        .expect("data");
    let rego_load_s = load_started.elapsed().as_secs_f64();
    let mut rego_times = Vec::with_capacity(rego_cases);
    let mut agree = 0usize;
    let mut disagreements = Vec::new();
    for ((g, (_, name, region)), expected) in
        generated.iter().zip(&from).zip(&rust).take(rego_cases)
    {
        let candidates: Vec<String> = g.text.candidates.iter().map(ToString::to_string).collect();
        let input = serde_json::json!({
            "unit": units[g.unit].code.to_string(),
            "item_code": g.item,
            "day": g.day.to_string(),
            "candidates": candidates,
            "sender": {
                "core": verdict::core_name(name),
                "township": g.township_sender,
                "region": region.to_string(),
            },
        });
        let input = regorus::Value::from_json_str(&input.to_string()).expect("input");
        let started = Instant::now();
        engine.set_input(input);
        let answer = engine
            .eval_rule("data.jianfu.decision".into())
            .expect("decision");
        rego_times.push(started.elapsed());
        let json: serde_json::Value =
            serde_json::from_str(&answer.to_json_str().expect("json")).expect("json");
        let outcome = json["outcome"].as_str().unwrap_or("?").to_owned();
        let rules: BTreeSet<String> = json["rules"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if (&outcome, &rules) == (&expected.0, &expected.1) {
            agree += 1;
        } else if disagreements.len() < 3 {
            disagreements.push(format!(
                "{} {}: rust {:?} rego {:?}",
                units[g.unit].code,
                g.item,
                expected,
                (outcome, rules)
            ));
        }
    }
    rego_times.sort();

    // The text matcher, as a dispatch check reads a task once.
    let mut texts: Vec<String> = GOLDEN_CASES.iter().map(|c| c.task.clone()).collect();
    texts.extend(
        items
            .iter()
            .map(|(_, i)| format!("关于做好{}工作的通知\n{}", i.name, i.village_role)),
    );
    let mut match_times = Vec::with_capacity(matches);
    let mut candidates_seen = 0usize;
    for n in 0..matches {
        let task = TaskFields {
            title: texts[n % texts.len()].clone(),
            ..Default::default()
        };
        let started = Instant::now();
        let facts = read_text(&snapshot, latest, &task);
        match_times.push(started.elapsed());
        candidates_seen += facts.candidates.len();
    }
    match_times.sort();

    let rego_p50 = percentile(&rego_times, 0.5);
    let p50 = percentile(&times, 0.5);
    println!(
        "JSON {}",
        serde_json::json!({
            "units": units.len(),
            "districts": districts.len(),
            "items": items.len(),
            "senders": senders.len(),
            "cases": cases,
            "outcomes": outcomes,
            "p50_us": p50,
            "p99_us": percentile(&times, 0.99),
            "rego_cases": rego_times.len(),
            "rego_load_s": rego_load_s,
            "rego_p50_us": rego_p50,
            "rego_p99_us": percentile(&rego_times, 0.99),
            "rego_agree": agree,
            "rego_disagreements": disagreements,
            "speedup": rego_p50 / p50,
            "texts": texts.len(),
            "matches": matches,
            "match_p50_us": percentile(&match_times, 0.5),
            "match_p99_us": percentile(&match_times, 0.99),
            "candidates_seen": candidates_seen,
        })
    );
}
