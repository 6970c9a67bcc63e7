//! 时间安排: the campaign's five phases with their dates, the phase in force (or the one set
//! over the dates, with its reason), each phase's exit criteria measured on the records of
//! the caller's region, the districts' standing on the current phase's criteria, and each
//! department's tasks sent down and violations since implementation began. Civil
//! affairs of the city or a district sets the dates and any override, each change audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use jianfu_domain::Error;
use jianfu_domain::Level;
use jianfu_domain::account::Perm;
use jianfu_domain::campaign::{self, Criterion, Override, Phase, Timeline};

use super::inspections::NoticeParams;
use super::{Crumb, Nav, field, posted};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;

pub struct PhaseRow {
    pub code: &'static str,
    pub label: &'static str,
    pub start: String,
    pub end: String,
    pub current: bool,
    pub criteria: Vec<Criterion>,
}

pub struct DistrictRow {
    pub name: String,
    pub met: usize,
    pub of: usize,
    pub unmet: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaign.html")]
pub struct CampaignPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    scope: String,
    current: Option<&'static str>,
    overridden: Option<String>,
    set_by: String,
    phases: Vec<PhaseRow>,
    districts: Vec<DistrictRow>,
    since: String,
    departments: Vec<jianfu_store::campaign::DepartmentProgress>,
    can_set: bool,
    notice: Option<String>,
    errors: Vec<String>,
}

/// Whether the caller sets the campaign's dates: civil affairs of the city or a district.
fn sets(user: &CurrentUser) -> bool {
    user.principal.roles.iter().any(|r| r.has(Perm::Supervise))
        && matches!(
            user.principal.region.level(),
            Level::Province | Level::County
        )
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<String>,
    errors: Vec<String>,
) -> Result<CampaignPage, Error> {
    let region = user.principal.region;
    let scope = jianfu_store::region::require(&state.db, &region).await?;
    let setting = jianfu_store::campaign::setting_for(&state.db, &region).await?;
    let day = today();
    let current = campaign::current(&setting.timeline, setting.over.as_ref(), day);
    let since = setting.timeline.start(Phase::Implementation);
    let facts = jianfu_store::campaign::facts(&state.db, &region, since, day).await?;
    let phases = Phase::ALL
        .into_iter()
        .map(|p| PhaseRow {
            code: p.code(),
            label: p.label(),
            start: setting.timeline.start(p).to_string(),
            end: setting
                .timeline
                .end(p)
                .map_or_else(|| "长期".to_owned(), |d| d.to_string()),
            current: Some(p) == current,
            criteria: campaign::criteria(p, &facts),
        })
        .collect();
    let mut districts = Vec::new();
    if let Some(phase) = current.filter(|_| region.level() == Level::Province) {
        for d in jianfu_store::region::below_at(&state.db, &region, Level::County).await? {
            let f = jianfu_store::campaign::facts(&state.db, &d.code, since, day).await?;
            let c = campaign::criteria(phase, &f);
            districts.push(DistrictRow {
                name: d.name,
                met: c.iter().filter(|c| c.met).count(),
                of: c.len(),
                unmet: c
                    .iter()
                    .filter(|c| !c.met)
                    .map(|c| format!("{}（{}）", c.label, c.measured))
                    .collect::<Vec<_>>()
                    .join("；"),
            });
        }
    }
    Ok(CampaignPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![Crumb::link("首页", "/"), Crumb::here("时间安排")],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        scope: scope.name,
        current: current.map(Phase::label),
        overridden: setting
            .over
            .as_ref()
            .map(|o| format!("{}（理由：{}）", o.phase.label(), o.reason)),
        set_by: match (&setting.region, &setting.updated_by) {
            (Some(r), Some(by)) => format!("{r} 的设置（{by}）"),
            _ => "实施方案规定的日期".to_owned(),
        },
        phases,
        districts,
        since: since.to_string(),
        departments: jianfu_store::campaign::departments(&state.db, &region, since, day).await?,
        can_set: sets(user),
        notice,
        errors,
    })
}

/// The campaign of the caller's region.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<NoticeParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::FollowCampaign, "/campaign")
        .await?;
    let notice = p.notice().map(str::to_owned);
    Ok(page(&state, &user, notice, Vec::new())
        .await?
        .into_response())
}

/// Sets the dates and the override of the caller's region.
pub async fn set(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::Supervise, "/campaign").await?;
    let form = posted(&user, &body)?;
    let outcome = async {
        if !sets(&user) {
            return Err(Error::refused("时间安排由市、区民政部门设置"));
        }
        let mut starts = Timeline::default().starts;
        for (i, p) in Phase::ALL.iter().enumerate() {
            let raw = field(&form, &format!("start_{}", p.code()));
            starts[i] = raw.trim().parse::<NaiveDate>().map_err(|_| {
                Error::refused(format!("“{}”的开始日期“{raw}”不是有效日期", p.label()))
            })?;
        }
        let timeline = Timeline::new(starts).map_err(Error::refused)?;
        let over = match field(&form, "override") {
            "" => None,
            code => {
                let phase = Phase::from_code(code).ok_or_else(|| Error::refused("未知的阶段"))?;
                let reason = field(&form, "reason").trim();
                if reason.is_empty() {
                    return Err(Error::refused("指定当前阶段须填写理由"));
                }
                Some(Override {
                    phase,
                    reason: reason.to_owned(),
                })
            }
        };
        let region = user.principal.region;
        jianfu_store::campaign::set(
            &state.db,
            &region,
            &timeline,
            over.as_ref(),
            &user.audit_entry("campaign.set", region.as_str()),
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/campaign?notice={}",
            super::encode("时间安排已保存")
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = page(&state, &user, None, super::inspections::problems(&e)).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
