//! Certificates: a village issues only what the lists in force allow (refusals recorded with
//! the demanding agency and answered with guidance), numbers stay unique under concurrent
//! issuance, identity numbers are encrypted at rest and masked everywhere but the issuing
//! unit's printout, the public verifier answers its four questions and notices tampering,
//! and the reconciliation finds seal uses and ledger entries without each other.

use axum::body::Body;
use axum::http::Request;
use jianfu_domain::account::Role;
use jianfu_domain::certificate::CertNo;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tower::ServiceExt;

use crate::support::{TestApp, backends};

/// A community of 和平区 劝业场街道.
const UNIT: &str = "120101001001";
const ID: &str = "120101199001011239";

fn residence(name: &str) -> serde_json::Value {
    serde_json::json!({
        "type_code": "KC-001",
        "applicant": { "name": name, "id_number": ID },
        "purpose": "子女入学",
        "demanding_agency": "和平区某小学",
        "details": "自2020年起居住在本社区幸福里3号楼",
    })
}

fn no_crime() -> serde_json::Value {
    serde_json::json!({
        "type_code": "BC-005",
        "purpose": "应聘",
        "demanding_agency": "某物业公司",
    })
}

async fn verify(app: &TestApp, no: &str, tag: &str) -> serde_json::Value {
    let r = app
        .request(
            Request::get(format!("/verify/{no}?t={tag}"))
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn tag_of(verify_url: &str) -> &str {
    verify_url.split("?t=").nth(1).unwrap()
}

#[tokio::test]
async fn a_village_issues_only_what_the_lists_allow_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let worker = app
            .token("sq.worker", UNIT, Role::VillageWorker, None)
            .await;
        let other = app
            .token("sq.other", "120101001002", Role::VillageWorker, None)
            .await;

        // What the unit may and must not issue today, public.
        let types = app
            .get(&format!("/api/v1/certificate-types?region={UNIT}"))
            .await;
        assert_eq!(types.status, 200, "{}", types.body);
        let t = types.json();
        assert_eq!(
            t["may_issue"].as_array().unwrap().len(),
            5,
            "{}",
            types.body
        );
        assert_eq!(t["may_issue"][0]["name"], "居民在社区居住证明");
        assert!(
            t["may_issue"][0]["materials"]
                .as_str()
                .unwrap()
                .contains("身份证")
        );
        assert_eq!(t["must_not_issue"].as_array().unwrap().len(), 20);
        assert_eq!(t["must_not_issue"][4]["name"], "无犯罪记录证明");
        assert!(
            t["must_not_issue"][4]["guidance"]
                .as_str()
                .unwrap()
                .contains("公安机关")
        );
        assert_eq!(t["unlisted_by_consultation"], false);

        // Issued: a number of the unit and year, the QR's address, the printout.
        let r = app
            .call(
                "POST",
                "/api/v1/certificates",
                &worker,
                Some(residence("张三")),
            )
            .await;
        assert_eq!(r.status, 201, "{backend:?}: {}", r.body);
        let c = r.json();
        let no = c["cert_no"].as_str().unwrap().to_owned();
        let year = jianfu_domain::beijing_date(chrono::Utc::now()).format("%Y");
        assert_eq!(no, format!("{UNIT}-{year}-000001"));
        assert_eq!(c["id_number"], "120101********1239");
        assert_eq!(c["listing"], "may_issue");
        let url = c["verify_url"].as_str().unwrap().to_owned();
        assert!(
            url.starts_with(&format!("http://127.0.0.1:8080/verify/{no}?t=")),
            "{url}"
        );
        assert_eq!(tag_of(&url).len(), 16);

        // Refused with guidance, and recorded with the agency that asked.
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(no_crime()))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        let e = r.json();
        assert_eq!(e["error"]["code"], "certificate_not_allowed");
        assert!(e["error"]["message"].as_str().unwrap().contains("不应出具"));
        assert!(
            e["error"]["guidance"]
                .as_str()
                .unwrap()
                .contains("公安机关"),
            "{}",
            r.body
        );
        // A type on neither list: refused; a district that allows consultations lets it
        // through once the consultation is recorded.
        let unlisted = serde_json::json!({
            "type_name": "独生子女证明",
            "applicant": { "name": "李四", "id_number": "11010519491231002X" },
            "purpose": "办理补贴",
            "demanding_agency": "某街道办事处",
        });
        let r = app
            .call(
                "POST",
                "/api/v1/certificates",
                &worker,
                Some(unlisted.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("不允许出具清单外"), "{}", r.body);
        let audit = jianfu::bootstrap::system_entry("certificate.rule", "test", None);
        let district = jianfu_domain::RegionCode::parse("120101").unwrap();
        jianfu_store::certificate::set_rule(&app.db, &district, true, "test", &audit)
            .await
            .unwrap();
        let r = app
            .call(
                "POST",
                "/api/v1/certificates",
                &worker,
                Some(unlisted.clone()),
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("须经居民协商"), "{}", r.body);
        let mut consulted = unlisted.clone();
        consulted["consultation"] = serde_json::json!({
            "held_on": "2026-11-30", "participants": "居民代表 7 人",
            "summary": "同意出具", "director": "王主任",
        });
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(consulted))
            .await;
        assert_eq!(r.status, 201, "{backend:?}: {}", r.body);
        assert_eq!(r.json()["listing"], "consulted");
        // Renaming a must-not type does not get it out.
        let mut renamed = unlisted.clone();
        renamed["type_name"] = "无犯罪记录".into();
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(renamed))
            .await;
        assert_eq!(
            r.json()["error"]["code"],
            "certificate_not_allowed",
            "{}",
            r.body
        );

        // Bad input, named in Chinese.
        let mut bad = residence("张三");
        bad["applicant"]["id_number"] = "120101199001011238".into();
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(bad))
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("校验码不符"), "{}", r.body);
        let mut unknown = residence("张三");
        unknown["type_code"] = "KC-099".into();
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(unknown))
            .await;
        assert!(r.body.contains("KC-099"), "{}", r.body);
        let mut no_agency = residence("张三");
        no_agency["demanding_agency"] = "".into();
        let r = app
            .call("POST", "/api/v1/certificates", &worker, Some(no_agency))
            .await;
        assert!(r.body.contains("请填写要求开具单位"), "{}", r.body);
        // Only villages issue; a department cannot.
        let dept = app.token("hp.mz", "120101", Role::CivilAffairs, None).await;
        let r = app
            .call(
                "POST",
                "/api/v1/certificates",
                &dept,
                Some(residence("张三")),
            )
            .await;
        assert_eq!(r.status, 403);

        // A double submission with one key issues once.
        let again = || {
            Request::post("/api/v1/certificates")
                .header("authorization", format!("Bearer {worker}"))
                .header("content-type", "application/json")
                .header("idempotency-key", "desk-42")
                .body(Body::from(residence("赵六").to_string()))
                .unwrap()
        };
        let first = app.request(again()).await.json()["cert_no"].clone();
        let second = app.request(again()).await.json()["cert_no"].clone();
        assert_eq!(first, second);
        assert_eq!(first, format!("{UNIT}-{year}-000003"));

        // The verifier: authentic, current, allowed, issuer; a masked name, no number.
        let v = verify(&app, &no, tag_of(&url)).await;
        assert_eq!(
            (
                v["authentic"].as_bool(),
                v["current"].as_bool(),
                v["allowed"].as_bool()
            ),
            (Some(true), Some(true), Some(true)),
            "{v}"
        );
        assert_eq!(v["applicant"], "张*");
        assert_eq!(v["type_name"], "居民在社区居住证明");
        assert!(v["issuer"].as_str().unwrap().contains("社区"), "{v}");
        assert!(!v.to_string().contains("1239") && !v.to_string().contains("张三"));
        // A forged tag, another certificate's tag, a changed number, an unknown number.
        let v = verify(&app, &no, "0000000000000000").await;
        assert_eq!(v["authentic"], false);
        assert!(v["summary"].as_str().unwrap().contains("伪造或篡改"));
        assert!(v["type_name"].is_null(), "nothing shown of a forgery: {v}");
        let v = verify(&app, &format!("{UNIT}-{year}-000003"), tag_of(&url)).await;
        assert_eq!(v["authentic"], false, "a tag belongs to one number");
        let v = verify(&app, &format!("{UNIT}-{year}-000099"), tag_of(&url)).await;
        assert!(v["summary"].as_str().unwrap().contains("查无此证明"));
        let v = verify(&app, "not-a-number", "x").await;
        assert_eq!(v["authentic"], false);
        // The page says the same in Chinese.
        let page = app.get(&format!("/verify/{no}?t={}", tag_of(&url))).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("证明真实有效"), "{}", page.body);

        // The printout is the unit's: a PDF with the number in full; another unit gets 404.
        let pdf = app
            .call("GET", &format!("/certificates/{no}/pdf"), &worker, None)
            .await;
        assert_eq!(pdf.status, 200, "{}", pdf.body);
        assert!(pdf.body.starts_with("%PDF"));
        assert_eq!(pdf.headers["content-type"], "application/pdf");
        let r = app
            .call("GET", &format!("/certificates/{no}/pdf"), &other, None)
            .await;
        assert_eq!(r.status, 404);

        // Revoked: the verifier says so; revoking twice is 409; another unit cannot.
        let r = app
            .call(
                "POST",
                &format!("/api/v1/certificates/{no}/revoke"),
                &other,
                Some(serde_json::json!({"reason": "信息有误"})),
            )
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        let r = app
            .call(
                "POST",
                &format!("/api/v1/certificates/{no}/revoke"),
                &worker,
                Some(serde_json::json!({"reason": " "})),
            )
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .call(
                "POST",
                &format!("/api/v1/certificates/{no}/revoke"),
                &worker,
                Some(serde_json::json!({"reason": "申请人提供的地址有误"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["status"], "revoked");
        let r = app
            .call(
                "POST",
                &format!("/api/v1/certificates/{no}/revoke"),
                &worker,
                Some(serde_json::json!({"reason": "再次撤销"})),
            )
            .await;
        assert_eq!(r.status, 409);
        assert_eq!(r.json()["error"]["stage"], "revoked");
        let v = verify(&app, &no, tag_of(&url)).await;
        assert_eq!(
            (v["authentic"].as_bool(), v["current"].as_bool()),
            (Some(true), Some(false))
        );
        assert!(v["summary"].as_str().unwrap().contains("撤销"));

        // At rest: the number only encrypted; the stored text keeps a placeholder; the
        // signatures and the tag check out, and a changed row does not.
        use jianfu_store::entity::certificate as row;
        let stored = row::Entity::find()
            .filter(row::Column::CertNo.eq(no.as_str()))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert!(!stored.body.contains(ID) && stored.body.contains("{身份证号}"));
        assert!(
            !stored
                .id_cipher
                .windows(ID.len())
                .any(|w| w == ID.as_bytes())
        );
        assert_eq!(
            app.keys
                .field_cipher()
                .decrypt(&stored.id_cipher, no.as_bytes())
                .unwrap(),
            ID.as_bytes()
        );
        assert!(jianfu_store::certificate::check_stored(&app.keys, &stored).is_empty());
        let mut altered = stored.clone();
        altered.applicant_name = "张四".into();
        assert!(jianfu_store::certificate::check_stored(&app.keys, &altered)[0].contains("内容"));
        let mut unrevoked = stored.clone();
        unrevoked.status = "valid".into();
        assert!(
            jianfu_store::certificate::check_stored(&app.keys, &unrevoked)
                .iter()
                .any(|p| p.contains("状态签名"))
        );
        // Ciphertext moved to another certificate's row does not decrypt there.
        assert!(
            app.keys
                .field_cipher()
                .decrypt(&stored.id_cipher, b"120101001001-2026-000002")
                .is_err()
        );

        // Logged verifications; audited acts (never the full number in the audit log).
        app.certificates.flush(&app.db, &app.keys).await;
        assert!(
            jianfu_store::certificate::verification_count(&app.db, &no)
                .await
                .unwrap()
                >= 3
        );
        // The log keeps a keyed hash of the caller's address, never the address.
        use sea_orm::EntityTrait;
        let logged = jianfu_store::entity::verification::Entity::find()
            .all(&app.db)
            .await
            .unwrap();
        assert!(!logged.is_empty());
        for v in &logged {
            assert!(
                v.client.len() == 16 && v.client.bytes().all(|b| b.is_ascii_hexdigit()),
                "{backend:?}: {}",
                v.client
            );
        }
        let log = app.audit_log().await;
        for event in [
            "certificate.issue",
            "certificate.refuse",
            "certificate.print",
            "certificate.revoke",
        ] {
            assert!(log.iter().any(|a| a.event == event), "{backend:?}: {event}");
        }
        assert!(
            !log.iter()
                .any(|a| a.after.as_deref().is_some_and(|t| t.contains(ID)))
        );
        let requests = jianfu_store::certificate::requests(
            &app.db,
            &jianfu_store::certificate::RequestFilter::default(),
            jianfu_domain::PageRequest::new(None, Some(100)),
        )
        .await
        .unwrap();
        let refused: Vec<_> = requests
            .items
            .iter()
            .filter(|r| r.cert_no.is_none())
            .collect();
        assert!(
            refused
                .iter()
                .any(|r| r.demanding_agency == "某物业公司" && r.listing == "must_not_issue")
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn the_lists_decide_by_the_day_asked() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let on = |day: &str| format!("/api/v1/certificate-types?region={UNIT}&at={day}");
    // The Tianjin may-issue list dates from 2019-09, the national must-not list from 2020-04.
    let t = app.get(&on("2019-06-30")).await.json();
    assert!(
        t["may_issue"].as_array().unwrap().is_empty()
            && t["must_not_issue"].as_array().unwrap().is_empty(),
        "{t}"
    );
    let t = app.get(&on("2020-01-01")).await.json();
    assert_eq!(
        (
            t["may_issue"].as_array().unwrap().len(),
            t["must_not_issue"].as_array().unwrap().len()
        ),
        (5, 0)
    );
    let t = app.get(&on("2020-04-01")).await.json();
    assert_eq!(t["must_not_issue"].as_array().unwrap().len(), 20);
    // Only villages and communities issue; unknown units are named.
    let r = app
        .get("/api/v1/certificate-types?region=120101000000")
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app
        .get("/api/v1/certificate-types?region=120199999999")
        .await;
    assert_eq!(r.status, 404);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn numbers_stay_unique_when_many_issue_at_once_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let worker = app
            .token("sq.worker", UNIT, Role::VillageWorker, None)
            .await;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..24 {
            let router = app.router.clone();
            let worker = worker.clone();
            tasks.spawn(async move {
                let req = Request::post("/api/v1/certificates")
                    .header("authorization", format!("Bearer {worker}"))
                    .header("content-type", "application/json")
                    .body(Body::from(residence(&format!("居民{n}")).to_string()))
                    .unwrap();
                let res = router.oneshot(req).await.unwrap();
                let status = res.status();
                let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, String::from_utf8_lossy(&body).into_owned())
            });
        }
        let mut seqs = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (status, body) = done.unwrap();
            assert_eq!(status, 201, "{backend:?}: {body}");
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            seqs.push(CertNo::parse(v["cert_no"].as_str().unwrap()).unwrap().seq);
        }
        seqs.sort();
        assert_eq!(seqs, (1..=24).collect::<Vec<u32>>(), "{backend:?}");
        // Every one has its ledger entry and its seal use.
        let recon = jianfu_store::certificate::reconcile(
            &app.db,
            &jianfu_domain::RegionCode::parse("120000000000").unwrap(),
        )
        .await
        .unwrap();
        assert!(recon.seal_without_ledger.is_empty() && recon.ledger_without_seal.is_empty());
        app.finish().await;
    }
}

#[tokio::test]
async fn the_reconciliation_finds_seal_uses_and_ledger_entries_without_each_other_on_every_backend()
{
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let worker = app
            .token("sq.worker", UNIT, Role::VillageWorker, None)
            .await;
        let mz = app
            .token("hp.mz", "120101000000", Role::CivilAffairs, None)
            .await;
        let issued = |name: &'static str| {
            let app = &app;
            let worker = worker.clone();
            async move {
                app.call(
                    "POST",
                    "/api/v1/certificates",
                    &worker,
                    Some(residence(name)),
                )
                .await
                .json()["cert_no"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        let kept = issued("张三").await;
        let unstamped = issued("李四").await;
        // A seal use recorded by hand for a certificate the ledger does not hold.
        let audit = jianfu::bootstrap::system_entry("seal_use.record", "test", None);
        let new = jianfu_store::certificate::NewSealUse {
            unit: jianfu_domain::RegionCode::parse(UNIT).unwrap(),
            used_on: jianfu_domain::beijing_date(chrono::Utc::now()),
            kind: jianfu_store::certificate::SealKind::Certificate,
            purpose: "开具居住证明（纸质）".into(),
            document: String::new(),
            cert_no: Some(format!("{UNIT}-2026-000900")),
            recorded_by: "sq.worker".into(),
        };
        jianfu_store::certificate::record_seal_use(&app.db, &new, &audit)
            .await
            .unwrap();
        // An issued certificate whose seal use went missing from the database.
        app.db
            .execute_unprepared(&format!(
                "DELETE FROM seal_use WHERE cert_no = '{unstamped}'"
            ))
            .await
            .unwrap();
        let recon = jianfu_store::certificate::reconcile(
            &app.db,
            &jianfu_domain::RegionCode::parse("120101000000").unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(recon.seal_without_ledger.len(), 1, "{backend:?}");
        assert_eq!(recon.ledger_without_seal.len(), 1);
        assert_eq!(recon.ledger_without_seal[0].cert_no, unstamped);
        assert_ne!(kept, unstamped);
        // Civil affairs sees both on its page, with the counts and the agencies.
        app.call("POST", "/api/v1/certificates", &worker, Some(no_crime()))
            .await;
        let page = app.call("GET", "/certificates/oversight", &mz, None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains(&format!("{UNIT}-2026-000900")));
        assert!(page.body.contains(&unstamped));
        assert!(
            page.body.contains("某物业公司"),
            "the agencies demanding must-not certificates"
        );
        let xlsx = app
            .call("GET", "/certificates/oversight?format=xlsx", &mz, None)
            .await;
        assert_eq!(xlsx.status, 200);
        // A village worker cannot read the region's statistics; civil affairs cannot issue.
        let r = app
            .call("GET", "/certificates/oversight", &worker, None)
            .await;
        assert_eq!(r.status, 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_worker_sees_the_full_number_once_asked_and_reissues_with_corrections() {
    use crate::support::{PASSWORD, form_encode};
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    app.account("sq.desk", UNIT, &[Role::VillageWorker], None)
        .await;
    let s = app.login("sq.desk", PASSWORD).await.unwrap();
    // Issued through the form: 303 to the certificate, the number masked on the page.
    let form = format!(
        "csrf={}&idempotency_key=k1&type_code=KC-001&demanding_agency={}&purpose={}&applicant_name={}&id_number={ID}&details={}",
        s.csrf,
        form_encode("和平区某小学"),
        form_encode("子女入学"),
        form_encode("张三"),
        form_encode("居住在本社区")
    );
    let r = app.post_form("/certificates", &form, Some(&s)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let at = r.headers["location"].to_str().unwrap().to_owned();
    let no = at
        .trim_start_matches("/certificates/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = app.get_as(&at, &s).await;
    assert!(page.body.contains("120101********1239") && !page.body.contains(ID));
    // The same form sent twice (a double click) issues once.
    let again = app.post_form("/certificates", &form, Some(&s)).await;
    assert_eq!(again.headers["location"].to_str().unwrap(), at);
    // A refusal on the page: the guidance to hand on, 422, and nothing issued.
    let refused = format!(
        "csrf={}&idempotency_key=k2&type_code=BC-005&demanding_agency={}&purpose={}",
        s.csrf,
        form_encode("某物业公司"),
        form_encode("应聘")
    );
    let r = app.post_form("/certificates", &refused, Some(&s)).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("id=\"refusal\"") && r.body.contains("公安机关"),
        "{}",
        r.body
    );

    // The full number, on request, audited.
    let r = app
        .post_form(
            &format!("/certificates/{no}/id"),
            &format!("csrf={}", s.csrf),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains(ID));
    assert!(
        app.audit_log()
            .await
            .iter()
            .any(|a| a.event == "certificate.view_id")
    );

    // Reissue with a corrected purpose: a new number, the old one superseded, the
    // verifier says so of the old one.
    let r = app
        .post_form(
            &format!("/certificates/{no}/reissue"),
            &format!(
                "csrf={}&reason={}&purpose={}",
                s.csrf,
                form_encode("事由填写有误"),
                form_encode("办理居住证")
            ),
            Some(&s),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let new_at = r.headers["location"].to_str().unwrap().to_owned();
    let new_no = new_at
        .trim_start_matches("/certificates/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(new_no, no);
    let new = app.get_as(&new_at, &s).await;
    assert!(
        new.body.contains("办理居住证") && new.body.contains(&no),
        "{}",
        new.body
    );
    use jianfu_store::entity::certificate as row;
    let old = row::Entity::find()
        .filter(row::Column::CertNo.eq(no.as_str()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.status.as_str(), old.superseded_by.as_deref()),
        ("superseded", Some(new_no.as_str()))
    );
    assert!(
        jianfu_store::certificate::check_stored(&app.keys, &old).is_empty(),
        "the new status is signed"
    );
    let v = verify(&app, &no, &old.tag).await;
    assert!(v["summary"].as_str().unwrap().contains("替代"), "{v}");
    // A superseded certificate cannot be reissued again, nor revoked.
    let r = app
        .post_form(
            &format!("/certificates/{no}/reissue"),
            &format!("csrf={}&reason={}", s.csrf, form_encode("再次补发")),
            Some(&s),
        )
        .await;
    assert!(r.body.contains("已被补发证明替代，不能补发"), "{}", r.body);
    app.finish().await;
}
