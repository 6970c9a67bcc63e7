//! `jianfu-bench-certificates DB_URL KEY_FILE COUNT PATHS_FILE`: writes `COUNT` issued
//! certificates spread over every village-level unit in the database, as the issuance writes
//! them — canonical content signed with SM2, the status signed, the identity number
//! SM4-encrypted, the verification tag — in batches of 1,000 rows, with each unit's number
//! counter set past them so later issuance continues the sequence. Signing runs on every core.
//! (The requests and seal uses an issuance also writes are left out: the verification
//! benchmark reads certificates only.) Writes `PATHS_FILE`, one `NUMBER?t=TAG` per line for
//! 100,000 random certificates, and prints one JSON line for bench/run.py.

use std::time::Instant;

use chrono::{NaiveDate, Utc};
use jianfu_domain::certificate::{self as rules, CertNo, Content, Listing, Status};
use jianfu_domain::{Level, RegionCode};
use jianfu_seal::KeyRing;
use jianfu_store::entity::{certificate as cert, certificate_counter as counter};
use rand::seq::SliceRandom;
use sea_orm::{ActiveValue::Set, EntityTrait};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BATCH: usize = 1000;
const SAMPLE: usize = 100_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A valid identity number for person `n` (GB 11643 check character computed).
fn id_number(n: usize) -> String {
    let body = format!(
        "120101{}{:03}",
        19500101 + (n % 28) as u32 * 10000 + (n % 12) as u32 * 100,
        n % 1000
    );
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(weights)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!(
        "{body}{}",
        ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
    )
}

fn row(
    keys: &KeyRing,
    unit: &(RegionCode, String),
    seq: u32,
    n: usize,
    day: NaiveDate,
) -> cert::ActiveModel {
    let no = CertNo::new(unit.0, 2026, seq);
    let no_text = no.to_string();
    let id = rules::IdCardNo::parse(&id_number(n)).expect("valid identity number");
    let applicant = format!("居民{n}");
    let body = rules::render_template(
        rules::DEFAULT_TEMPLATE,
        &rules::TemplateValues {
            applicant: applicant.clone(),
            id_number: rules::ID_PLACEHOLDER.into(),
            details: "居住在本社区".into(),
            purpose: "子女入学".into(),
            demanding_agency: "某小学".into(),
            issuer: unit.1.clone(),
            issued_on: Some(day),
            cert_no: no_text.clone(),
        },
    );
    let id_digest = hex(&keys.mac("id-number/1", id.as_str().as_bytes()));
    let content = Content {
        cert_no: no.clone(),
        type_code: "KC-001".into(),
        type_name: "居民在社区居住证明".into(),
        listing: Listing::MayIssue,
        issuer_code: unit.0,
        issuer_name: unit.1.clone(),
        issued_on: day,
        applicant_name: applicant.clone(),
        id_digest: id_digest.clone(),
        purpose: "子女入学".into(),
        demanding_agency: "某小学".into(),
        body: body.clone(),
        supersedes: None,
    };
    let canonical = rules::canonical(&content);
    let content_sm3 = hex(&jianfu_seal::sm3(&canonical));
    let signer = keys.signer();
    let at = Utc::now().with_timezone(&Utc);
    let at = chrono::DateTime::from_timestamp(at.timestamp(), 0).expect("time");
    let statement = rules::status_statement(&no, &content_sm3, Status::Valid, &at.to_rfc3339());
    cert::ActiveModel {
        cert_no: Set(no_text.clone()),
        request_id: Set(0),
        unit: Set(unit.0.as_str().to_owned()),
        unit_name: Set(unit.1.clone()),
        year: Set(2026),
        seq: Set(seq as i32),
        type_code: Set("KC-001".into()),
        type_name: Set("居民在社区居住证明".into()),
        listing: Set(Listing::MayIssue.code().into()),
        list_version: Set(Some(1)),
        applicant_name: Set(applicant),
        id_cipher: Set(keys
            .field_cipher()
            .encrypt(id.as_str().as_bytes(), no_text.as_bytes())),
        id_masked: Set(id.masked()),
        id_digest: Set(id_digest),
        purpose: Set("子女入学".into()),
        demanding_agency: Set("某小学".into()),
        details: Set("居住在本社区".into()),
        body: Set(body),
        issued_on: Set(day),
        issued_at: Set(at),
        issued_by: Set("bench".into()),
        tag: Set(jianfu_store::certificate::tag(keys, &no_text, &content_sm3)),
        content_sm3: Set(content_sm3),
        signature: Set(hex(&signer.sign(&canonical))),
        key_id: Set(signer.key_id().to_owned()),
        status: Set(Status::Valid.code().into()),
        status_since: Set(at),
        status_signature: Set(hex(&signer.sign(&statement))),
        status_key_id: Set(signer.key_id().to_owned()),
        reason: Set(None),
        supersedes: Set(None),
        superseded_by: Set(None),
        ..Default::default()
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: jianfu-bench-certificates DB_URL KEY_FILE COUNT PATHS_FILE";
    let (url, key_file, count, paths) = match args.as_slice() {
        [_, url, keys, count, paths] => (url, keys, count.parse::<usize>().expect(usage), paths),
        _ => panic!("{usage}"),
    };
    let db = jianfu_store::connect(url).await.expect("database");
    let keys =
        std::sync::Arc::new(KeyRing::load_or_create(std::path::Path::new(key_file)).expect("keys"));
    let city = RegionCode::parse("120000000000").expect("code");
    let units: Vec<(RegionCode, String)> = jianfu_store::region::villages_within(&db, &city)
        .await
        .expect("units")
        .into_iter()
        .filter(|u| u.level == Level::Village)
        .map(|u| (u.code, u.name))
        .collect();
    assert!(
        !units.is_empty(),
        "no village-level units: import the regions first"
    );
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).expect("day");
    let started = Instant::now();
    // Certificate n is unit n % units' (n / units + 1)-th of the year.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(cert::ActiveModel, String)>>(8);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunks: Vec<Vec<usize>> = (0..count)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[usize]>::to_vec)
        .collect();
    let chunks = std::sync::Arc::new(std::sync::Mutex::new(chunks.into_iter()));
    for _ in 0..workers {
        let (tx, keys, units, chunks) = (tx.clone(), keys.clone(), units.clone(), chunks.clone());
        std::thread::spawn(move || {
            loop {
                let Some(chunk) = chunks.lock().expect("lock").next() else {
                    break;
                };
                let rows = chunk
                    .into_iter()
                    .map(|n| {
                        let unit = &units[n % units.len()];
                        let r = row(&keys, unit, (n / units.len() + 1) as u32, n, day);
                        let path = match (&r.cert_no, &r.tag) {
                            (Set(no), Set(tag)) => format!("{no}?t={tag}"),
                            _ => unreachable!("set above"),
                        };
                        (r, path)
                    })
                    .collect();
                if tx.blocking_send(rows).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let mut all_paths = Vec::with_capacity(count);
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        let (rows, p): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        written += rows.len();
        cert::Entity::insert_many(rows)
            .exec_without_returning(&db)
            .await
            .expect("insert");
        all_paths.extend(p);
    }
    let per_unit = count.div_ceil(units.len());
    for chunk in units.chunks(BATCH) {
        counter::Entity::insert_many(chunk.iter().map(|u| counter::ActiveModel {
            unit: Set(u.0.as_str().to_owned()),
            year: Set(2026),
            next: Set(per_unit as i32),
            ..Default::default()
        }))
        .exec_without_returning(&db)
        .await
        .expect("counters");
    }
    let secs = started.elapsed().as_secs_f64();
    all_paths.shuffle(&mut rand::rng());
    all_paths.truncate(SAMPLE);
    std::fs::write(paths, all_paths.join("\n") + "\n").expect("paths file");
    println!(
        "JSON {}",
        serde_json::json!({ "certificates": written, "units": units.len(), "seconds": secs, "workers": workers })
    );
}
