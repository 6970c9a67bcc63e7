//! Guidance directories in the store on every backend: the first version, an adjustment through
//! its whole procedure to the next version, versions by date, immutability and the diff.

use chrono::{Duration, NaiveDate, Utc};
use jianfu_domain::account::Role;
use jianfu_domain::catalog::adjustment::{Action, Change, Stage};
use jianfu_domain::catalog::{Applicability, DirectoryItem, DirectoryKind, ItemCode, diff};
use jianfu_store::catalog::{self, ActError, NewAdjustment};

use crate::support::{TestApp, backends};

const KIND: DirectoryKind = DirectoryKind::CertificateMayIssue;

fn item(n: u32, name: &str) -> DirectoryItem {
    DirectoryItem {
        code: ItemCode::numbered(KIND, n),
        name: name.into(),
        category: "居住证明".into(),
        basis: "天津市民政局、市委组织部《关于进一步开展社区减负工作依法厘清居民委员会职责提升为民服务效能的意见》".into(),
        department: "市民政局".into(),
        village_role: "核实后出具".into(),
        support: String::new(),
        applicability: Applicability::Community,
        valid_from: NaiveDate::from_ymd_opt(2019, 9, 1).unwrap(),
        valid_to: None,
        guide: None,
        refusal_guidance: None,
        source: "tianjin2019_rc_certificates_may_issue.tsv".into(),
        is_demo: false,
    }
}

fn audit(event: &str) -> jianfu_domain::audit::AuditEntry {
    jianfu::bootstrap::system_entry(event, "test", None)
}

#[tokio::test]
async fn an_adjustment_becomes_the_next_version_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let db = &app.db;
        // The first start published the shipped list as version 1; it is not published twice.
        let first = catalog::version(db, KIND, 1).await.unwrap().unwrap().items;
        assert_eq!(first.len(), 5);
        let start = NaiveDate::from_ymd_opt(2019, 9, 1).unwrap();
        assert!(
            !catalog::publish_first(db, KIND, &first, start, &audit("catalog.seed"))
                .await
                .unwrap()
        );

        let new = NewAdjustment {
            kind: KIND,
            district: None,
            title: "2026 年可出具证明事项调整".into(),
            reason: "落实数据共享，减少证明".into(),
            basis: "民发〔2020〕20号".into(),
        };
        let id = catalog::create_adjustment(db, &new, "mz.wang", &audit("adjustment.create"))
            .await
            .unwrap();
        let mut renamed = first[0].clone();
        renamed.name = "居民在本社区居住的证明".into();
        renamed.applicability = Applicability::Community;
        let changes = vec![
            (
                Change::Add(item(6, "为居民出具养老服务需求评估情况证明")),
                Some(4),
            ),
            (Change::Modify(renamed), Some(5)),
            (Change::Retire(ItemCode::numbered(KIND, 2)), Some(6)),
        ];
        catalog::set_changes(db, id, &changes, &audit("adjustment.edit"))
            .await
            .unwrap();

        let drafter = ("mz.wang", Role::CivilAffairs);
        let reviewer = ("mz.li", Role::CivilAffairs);
        let approver = ("zf.zhao", Role::Approver);
        let go = |action: Action, who: (&'static str, Role)| {
            let db = db.clone();
            async move { catalog::act(&db, id, &action, who, &audit("adjustment.act")).await }
        };
        assert_eq!(go(Action::Submit, drafter).await.unwrap(), Stage::Submitted);
        let own = go(Action::Review, drafter).await.unwrap_err();
        assert!(own.to_string().contains("起草人不能审核"), "{own}");
        assert_eq!(go(Action::Review, reviewer).await.unwrap(), Stage::Reviewed);
        assert_eq!(
            go(Action::Approve, approver).await.unwrap(),
            Stage::Approved
        );
        let refused = catalog::set_changes(db, id, &changes, &audit("adjustment.edit"))
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("不能修改内容"), "{refused}");
        let tomorrow = (Utc::now() + Duration::hours(8) + Duration::days(1)).date_naive();
        let publish = Action::Publish {
            version: 0,
            effective_from: tomorrow,
        };
        let stage = go(publish, drafter).await.unwrap();
        assert_eq!(
            stage,
            Stage::Published {
                version: 2,
                effective_from: tomorrow
            },
            "{backend:?}"
        );

        // Versions by date, and the first version untouched.
        let today = tomorrow - Duration::days(1);
        assert_eq!(
            catalog::version_at(db, KIND, today)
                .await
                .unwrap()
                .unwrap()
                .number,
            1
        );
        let v2 = catalog::version_at(db, KIND, tomorrow)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(v2.number, 2);
        let v1 = catalog::version(db, KIND, 1).await.unwrap().unwrap();
        assert_eq!(
            v1.items, first,
            "{backend:?}: a published version never changes"
        );
        let d = diff(&v1, &v2);
        assert_eq!(d.added, [ItemCode::numbered(KIND, 6)]);
        assert_eq!(d.retired, [ItemCode::numbered(KIND, 2)]);
        let fields: Vec<&str> = d.changed[0].1.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["名称", "适用范围"]);
        let listed = catalog::versions(db, KIND).await.unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|v| (v.number, v.items))
                .collect::<Vec<_>>(),
            [(2, 5), (1, 5)]
        );

        let view = catalog::adjustment(db, id).await.unwrap();
        let steps: Vec<&str> = view.events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(steps, ["submitted", "reviewed", "approved", "published"]);
        assert_eq!(view.changes.len(), 3);
        assert_eq!(view.base_version, Some(1));

        // A draft written against the old version no longer fits the new one.
        let stale = catalog::create_adjustment(db, &new, "mz.wang", &audit("adjustment.create"))
            .await
            .unwrap();
        catalog::set_changes(
            db,
            stale,
            &[(Change::Retire(ItemCode::numbered(KIND, 2)), None)],
            &audit("adjustment.edit"),
        )
        .await
        .unwrap();
        let e = catalog::act(
            db,
            stale,
            &Action::Submit,
            drafter,
            &audit("adjustment.act"),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ActError::Changes(_)), "{e}");
        assert!(e.to_string().contains("KC-002 不在现行目录中"), "{e}");
        let log = app.audit_log().await;
        assert_eq!(
            log.iter().filter(|r| r.event == "adjustment.act").count(),
            4,
            "{backend:?}"
        );
        app.finish().await;
    }
}

/// Drafts edited side by side while the audit chainer commits: every edit reads its draft
/// before writing, which on SQLite failed with "database is locked" whenever another connection
/// committed in between, until write transactions took the lock at their start.
#[tokio::test]
async fn concurrent_read_then_write_edits_all_land_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let db = app.db.clone();
        let new = NewAdjustment {
            kind: KIND,
            district: None,
            title: "并发编辑".into(),
            reason: "测试".into(),
            basis: "测试".into(),
        };
        let mut ids = Vec::new();
        for _ in 0..4 {
            ids.push(
                catalog::create_adjustment(&db, &new, "mz.wang", &audit("adjustment.create"))
                    .await
                    .unwrap(),
            );
        }
        let chaining = db.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        // Stopped between batches, not aborted: a chainer cancelled inside its transaction
        // would leave the head row locked on MySQL until the connection is reused.
        let chainer = tokio::spawn(async move {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                jianfu_store::audit::chain(&chaining).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        });
        let edits: Vec<_> = ids
            .iter()
            .map(|&id| {
                let db = db.clone();
                tokio::spawn(async move {
                    for n in 1..=15 {
                        let changes = [(Change::Add(item(n, "居民在社区居住证明")), None)];
                        catalog::set_changes(&db, id, &changes, &audit("adjustment.edit"))
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for edit in edits {
            edit.await.expect("every edit lands");
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        chainer.await.unwrap();
        let log = app.audit_log().await;
        assert_eq!(
            log.iter().filter(|r| r.event == "adjustment.edit").count(),
            60,
            "{backend:?}"
        );
        app.finish().await;
    }
}
