//! `jianfu-bench-catalog DB_URL LOOKUPS`: on a database opened as `jianfu serve` opens it (the
//! shipped directories published, the real Tianjin units), loads every version of every
//! directory as the server's cache does, then times `LOOKUPS` effective-directory lookups —
//! the version in force on a random day for a random village-level unit, with a district
//! refinement that narrows every other item — against a hash-map lookup timed the same way.
//!
//! Prints one JSON line for bench/run.py.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use jianfu_domain::catalog::{
    Applicability, DirectoryKind, DistrictRefinement, Refinement, effective, version_at,
};
use jianfu_domain::{RegionCode, RegionKind};
use jianfu_store::entity::region;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

/// The allocator of the `jianfu` binary, so the measured code runs as it does there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: jianfu-bench-catalog DB_URL LOOKUPS";
    let url = args.get(1).expect(usage);
    let lookups: usize = args.get(2).expect(usage).parse().expect(usage);
    let db = jianfu::bootstrap::open(url).await.expect("open");

    let mut versions = BTreeMap::new();
    for kind in DirectoryKind::ALL {
        versions.insert(
            kind,
            jianfu_store::catalog::history(&db, kind)
                .await
                .expect("load"),
        );
    }
    let units: Vec<(String, RegionKind)> = region::Entity::find()
        .filter(region::Column::Level.eq("village"))
        .filter(region::Column::ValidTo.is_null())
        .all(&db)
        .await
        .expect("units")
        .into_iter()
        .map(|u| {
            let kind = RegionKind::derive(jianfu_domain::Level::Village, &u.name);
            (u.code[..6].to_owned(), kind)
        })
        .collect();
    // One refinement per district and directory, narrowing every other item to villages.
    let mut refinements = HashMap::new();
    for (district, _) in &units {
        for (kind, all) in &versions {
            let Some(base) = all.last() else { continue };
            let entries = base
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
            refinements
                .entry((district.clone(), *kind))
                .or_insert(DistrictRefinement {
                    district: RegionCode::parse(district).expect("district code"),
                    kind: *kind,
                    number: 1,
                    effective_from: base.effective_from,
                    entries,
                });
        }
    }
    let first = NaiveDate::from_ymd_opt(2019, 1, 1).expect("day");
    let mut rng = rand::rngs::StdRng::seed_from_u64(20231201);
    let kinds = DirectoryKind::ALL;
    let mut times = Vec::with_capacity(lookups);
    let mut found = 0usize;
    for _ in 0..lookups {
        let (district, unit) = &units[rng.random_range(0..units.len())];
        let kind = kinds[rng.random_range(0..kinds.len())];
        let day = first + chrono::Duration::days(rng.random_range(0..3000));
        let started = Instant::now();
        let refinement = refinements.get(&(district.clone(), kind));
        let items = version_at(&versions[&kind], day)
            .map(|v| effective(v, refinement, *unit, day))
            .unwrap_or_default();
        times.push(started.elapsed());
        found += items.len();
    }
    times.sort();
    // The anchor: a hash-map lookup by the same key shape, timed the same way.
    let mut anchor_times = Vec::with_capacity(lookups);
    for _ in 0..lookups {
        let (district, _) = &units[rng.random_range(0..units.len())];
        let kind = kinds[rng.random_range(0..kinds.len())];
        let started = Instant::now();
        let hit = refinements.contains_key(&(district.clone(), kind));
        anchor_times.push(started.elapsed());
        found += usize::from(hit);
    }
    anchor_times.sort();
    println!(
        "JSON {{\"lookups\":{lookups},\"units\":{},\"p50_us\":{:.2},\"p99_us\":{:.2},\"anchor_p50_us\":{:.3},\"anchor_p99_us\":{:.3},\"items_seen\":{found}}}",
        units.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&anchor_times, 0.5),
        percentile(&anchor_times, 0.99),
    );
}
