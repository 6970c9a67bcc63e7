//! Admissions in the store: an application's procedure with countersigning rounds, a return
//! and resubmission, approval into a numbered admitted task, revocation; the notice period
//! counted on the shipped holiday calendar; a repeated request with one idempotency key opens
//! one application; a step out of order is refused naming the stage.

use chrono::Duration;
use jianfu_domain::RegionCode;
use jianfu_domain::account::Role;
use jianfu_domain::admission::{Action, ReturnTo, ScopeEntry, StepError};
use jianfu_domain::catalog::Applicability;
use jianfu_store::admission::{self, AdmissionError, By, NewAdmission, Today};

use crate::support::{TestApp, backends};

#[tokio::test]
async fn an_application_goes_from_draft_to_an_admitted_task_and_back_on_every_backend() {
    for backend in backends() {
        let app = TestApp::new(backend).await;
        let db = &app.db;
        let calendar = jianfu_store::calendar::load(db).await.unwrap();
        let today = jianfu_domain::beijing_date(chrono::Utc::now());
        let audit = jianfu::bootstrap::system_entry("admission.test", "test", None);
        let district = RegionCode::parse("120101").unwrap();
        let new = |starts_on, key: &str| NewAdmission {
            region: district,
            department: "120101-jy".into(),
            title: "学生课后服务情况摸底".into(),
            content: "请各社区协助摸底辖区学生课后服务需求".into(),
            basis: "演示".into(),
            scope: vec![ScopeEntry {
                unit: district,
                subtree: true,
                applies: Applicability::Community,
            }],
            starts_on,
            ends_on: starts_on + Duration::days(60),
            workload_minutes: 120,
            support: "每社区工作经费 500 元".into(),
            permanent: false,
            co_departments: vec!["120101-ws".into()],
            idempotency_key: Some(key.into()),
        };
        let start = calendar.add_working_days(today, 30);
        let id = admission::create(db, &new(start, "k1"), "jy.zhang", today, &audit)
            .await
            .unwrap();
        let again = admission::create(db, &new(start, "k1"), "jy.zhang", today, &audit)
            .await
            .unwrap();
        assert_eq!(
            id, again,
            "{backend:?}: one application per idempotency key"
        );

        let applicant = By {
            username: "jy.zhang",
            name: "区教育局演示",
            role: Role::DepartmentOfficer,
            department: Some("120101-jy"),
        };
        let cosigner = By {
            username: "ws.li",
            name: "区卫健委演示",
            role: Role::DepartmentOfficer,
            department: Some("120101-ws"),
        };
        let civil = By {
            username: "mz.wang",
            name: "区民政局演示",
            role: Role::CivilAffairs,
            department: None,
        };
        let approver = By {
            username: "sp.zhao",
            name: "区审批演示",
            role: Role::Approver,
            department: None,
        };
        let step = |action: Action, by: By<'static>| {
            let calendar = calendar.clone();
            let audit = audit.clone();
            async move {
                let on = Today {
                    day: today,
                    calendar: &calendar,
                };
                admission::act(db, id, &action, by, on, &audit).await
            }
        };
        let out_of_order = step(Action::Approve, approver).await.unwrap_err();
        assert!(
            matches!(
                out_of_order,
                AdmissionError::Step(StepError::Stage { code: "draft", .. })
            ),
            "{out_of_order}"
        );
        let agree = || Action::Countersign {
            agree: true,
            comment: "同意".into(),
        };
        let sequence = [
            (Action::Submit, applicant, "countersigning"),
            (agree(), cosigner, "submitted"),
            (
                Action::Return {
                    reason: "请写明经费来源".into(),
                    to: ReturnTo::Applicant,
                },
                civil,
                "returned",
            ),
            // Resubmission opens a new countersigning round.
            (Action::Resubmit, applicant, "countersigning"),
            (agree(), cosigner, "submitted"),
            (Action::Pass, civil, "passed"),
            (Action::Approve, approver, "approved"),
        ];
        for (action, by, expected) in sequence {
            let label = action.label();
            let stage = step(action, by)
                .await
                .unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_eq!(stage.code(), expected, "{backend:?}: {label}");
        }
        let view = admission::get(db, id).await.unwrap();
        let task = view.task.expect("an admitted task");
        assert_eq!(
            task.code,
            format!("ZR-120101-{}-001", chrono::Datelike::year(&today))
        );
        assert_eq!(view.events.len(), 7);
        let revoked = step(
            Action::Revoke {
                reason: "任务已完成".into(),
            },
            approver,
        )
        .await
        .unwrap();
        assert_eq!(revoked.code(), "revoked");
        let task = admission::get(db, id).await.unwrap().task.unwrap();
        assert_eq!(task.revoke_reason.as_deref(), Some("任务已完成"));

        // Too little notice: refused with the first allowed day.
        let soon = admission::create(
            db,
            &new(start - Duration::days(1), "k2"),
            "jy.zhang",
            today,
            &audit,
        )
        .await
        .unwrap();
        let on = Today {
            day: today,
            calendar: &calendar,
        };
        let e = admission::act(db, soon, &Action::Submit, applicant, on, &audit)
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains(&format!("最早可从 {start} 开始")),
            "{e}"
        );
        app.finish().await;
    }
}
