//! The audit chain on every backend: business writes leave records in the same transaction, and
//! altering, deleting, inserting, reordering or truncating stored rows — or forging a checkpoint
//! — is found at the right sequence number.

use jianfu_seal::KeyRing;
use jianfu_store::audit::{self, VerifyError};
use jianfu_store::entity::{audit_checkpoint, audit_log};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::NotSet, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};

use crate::support::{TestApp, backends, temp_dir};

async fn verify(app: &TestApp, keys: &KeyRing) -> Result<u64, VerifyError> {
    audit::verify(&app.db, |id| keys.public_key(id).cloned())
        .await
        .map(|r| r.records)
}

async fn row(app: &TestApp, seq: i64) -> audit_log::Model {
    audit_log::Entity::find()
        .filter(audit_log::Column::Seq.eq(seq))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

async fn put_back(app: &TestApp, m: audit_log::Model) {
    let mut am = m.into_active_model();
    am.id = NotSet;
    audit_log::Entity::insert(am)
        .exec_without_returning(&app.db)
        .await
        .unwrap();
}

async fn delete(app: &TestApp, seq: i64) {
    audit_log::Entity::delete_many()
        .filter(audit_log::Column::Seq.eq(seq))
        .exec(&app.db)
        .await
        .unwrap();
}

/// Gives row `seq` the content of `from` (keeping its own seq), as a reordering attacker would.
async fn overwrite(app: &TestApp, seq: i64, from: &audit_log::Model) {
    delete(app, seq).await;
    put_back(
        app,
        audit_log::Model {
            seq,
            ..from.clone()
        },
    )
    .await;
}

#[tokio::test]
async fn seeding_and_imports_are_audited_in_the_same_transaction() {
    let app = TestApp::new(jianfu_store::Backend::Sqlite).await;
    let events: Vec<String> = app.audit_log().await.into_iter().map(|m| m.event).collect();
    let mut expected = vec!["region.seed"];
    expected.extend(["catalog.seed"; 7]);
    expected.extend(["calendar.seed", "department.seed"]);
    assert_eq!(events, expected);
    let first = row(&app, 1).await;
    assert_eq!(first.actor, "system");
    assert_eq!(first.prev_hash, jianfu_domain::audit::GENESIS_HASH);
    assert!(
        first.at.ends_with('Z') && first.at.len() == 27,
        "{}",
        first.at
    );
    app.finish().await;
}

#[tokio::test]
async fn tampering_is_found_at_the_right_sequence_on_every_backend() {
    let keys = KeyRing::load_or_create(&temp_dir().join("keys.json")).unwrap();
    for backend in backends() {
        let app = TestApp::new(backend).await;
        for i in 0..20 {
            let entry = jianfu::bootstrap::system_entry("test.event", &format!("对象{i}"), None);
            audit::append(&app.db, &entry).await.unwrap();
        }
        // The seeded records and these twenty.
        let n = app.audit_log().await.len() as u64;
        assert_eq!(
            audit::checkpoint(&app.db, keys.signer()).await.unwrap(),
            Some(n)
        );
        assert_eq!(
            audit::checkpoint(&app.db, keys.signer()).await.unwrap(),
            None
        );
        assert_eq!(verify(&app, &keys).await.unwrap(), n, "{backend:?}");

        // Altered content.
        let original = row(&app, 7).await;
        audit_log::Entity::update_many()
            .col_expr(audit_log::Column::Object, Expr::value("篡改"))
            .filter(audit_log::Column::Seq.eq(7))
            .exec(&app.db)
            .await
            .unwrap();
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(7), "{backend:?}: {e}");
        assert!(e.to_string().contains("被修改"), "{e}");
        overwrite(&app, 7, &original).await;
        assert_eq!(
            verify(&app, &keys).await.unwrap(),
            n,
            "{backend:?}: restored"
        );

        // Deleted record.
        let gone = row(&app, 10).await;
        delete(&app, 10).await;
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(10), "{backend:?}: {e}");
        assert!(e.to_string().contains("缺失"));
        put_back(&app, gone).await;

        // Two records swapped.
        let (a, b) = (row(&app, 12).await, row(&app, 13).await);
        overwrite(&app, 12, &b).await;
        overwrite(&app, 13, &a).await;
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(12), "{backend:?}: {e}");
        overwrite(&app, 12, &a).await;
        overwrite(&app, 13, &b).await;

        // A record inserted at the end without moving the head.
        let last = row(&app, n as i64).await;
        put_back(
            &app,
            audit_log::Model {
                seq: n as i64 + 1,
                object: "伪造".into(),
                ..last.clone()
            },
        )
        .await;
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(n + 1), "{backend:?}: {e}");
        delete(&app, n as i64 + 1).await;

        // The end cut off.
        delete(&app, n as i64).await;
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(n - 1), "{backend:?}: {e}");
        assert!(e.to_string().contains("截断"));
        put_back(&app, last).await;

        // A forged checkpoint signature.
        assert_eq!(
            verify(&app, &keys).await.unwrap(),
            n,
            "{backend:?}: all restored"
        );
        audit_checkpoint::Entity::update_many()
            .col_expr(
                audit_checkpoint::Column::Signature,
                Expr::value("00".repeat(64)),
            )
            .exec(&app.db)
            .await
            .unwrap();
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(n), "{backend:?}: {e}");
        assert!(e.to_string().contains("签名"));
        app.finish().await;
    }
}

/// A pending record as a business transaction leaves it, made at `at`.
async fn pending(app: &TestApp, at: &str, object: &str) {
    use jianfu_store::entity::audit_pending;
    use sea_orm::ActiveValue::Set;
    audit_pending::Entity::insert(audit_pending::ActiveModel {
        at: Set(at.into()),
        actor: Set("system".into()),
        role: Set("system".into()),
        source_ip: Set("local".into()),
        event: Set("test.event".into()),
        object: Set(object.into()),
        result: Set("ok".into()),
        ..Default::default()
    })
    .exec_without_returning(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn pending_records_are_chained_and_only_old_records_are_purged_on_every_backend() {
    let keys = KeyRing::load_or_create(&temp_dir().join("keys.json")).unwrap();
    for backend in backends() {
        let app = TestApp::new(backend).await;
        // Start from an empty chain, so the test can make records older than the retention.
        audit::chain(&app.db).await.unwrap();
        audit_log::Entity::delete_many()
            .exec(&app.db)
            .await
            .unwrap();
        jianfu_store::entity::audit_head::Entity::update_many()
            .col_expr(
                jianfu_store::entity::audit_head::Column::Seq,
                Expr::value(0),
            )
            .col_expr(
                jianfu_store::entity::audit_head::Column::Hash,
                Expr::value(jianfu_domain::audit::GENESIS_HASH),
            )
            .exec(&app.db)
            .await
            .unwrap();
        for i in 0..5 {
            pending(&app, &format!("2025-01-0{}T08:00:00.000000Z", i + 1), "旧").await;
        }
        // Pending records are not in the chain until chained, and verify says so.
        let report = audit::verify(&app.db, |id| keys.public_key(id).cloned())
            .await
            .unwrap();
        assert_eq!((report.records, report.pending), (0, 5), "{backend:?}");
        assert_eq!(
            audit::checkpoint(&app.db, keys.signer()).await.unwrap(),
            Some(5)
        );
        for i in 0..3 {
            let entry = jianfu::bootstrap::system_entry("test.event", &format!("新{i}"), None);
            audit::append(&app.db, &entry).await.unwrap();
        }
        assert_eq!(audit::chain(&app.db).await.unwrap(), 3);

        // Younger than 180 days: refused, nothing removed.
        let recent = chrono::Utc::now() - chrono::Duration::days(100);
        let entry = jianfu::bootstrap::system_entry("audit.purge", "test", None);
        let e = audit::purge(&app.db, recent, entry.clone())
            .await
            .unwrap_err();
        assert_eq!(e.code(), "retention_not_reached", "{backend:?}");
        assert_eq!(verify(&app, &keys).await.unwrap(), 8);

        // Old enough: removed up to the signed checkpoint, the rest still verifies from it.
        let cutoff = chrono::Utc::now() - chrono::Duration::days(200);
        let report = audit::purge(&app.db, cutoff, entry).await.unwrap();
        assert_eq!((report.removed, report.through_seq), (5, 5), "{backend:?}");
        let log = app.audit_log().await;
        assert_eq!(log.last().unwrap().event, "audit.purge");
        let report = audit::verify(&app.db, |id| keys.public_key(id).cloned())
            .await
            .unwrap();
        assert_eq!(report.first_seq, 6, "{backend:?}");
        assert_eq!(
            report.records, 4,
            "{backend:?}: three records and the purge itself"
        );

        // Removing more than was purged is found at the first record kept.
        delete(&app, 6).await;
        let e = verify(&app, &keys).await.unwrap_err();
        assert_eq!(e.seq(), Some(6), "{backend:?}: {e}");
        app.finish().await;
    }
}
