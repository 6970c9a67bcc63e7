//! 机制牌子自查 on a phone: a village or community records its mechanisms, its signs and its
//! service centre, and sees at once what the rules find and its clean-up list; and 机制牌子整改
//! 进度 for those overseeing a region: units submitted, compliant, items open, closed and
//! overdue, by district, township or unit, with Excel export.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use jianfu_domain::account::Perm;
use jianfu_domain::signage::{Mechanism, Position, Registry, RuleSet, ServiceCentre, Sign};
use jianfu_domain::{Error, Level, Region, RegionCode};
use serde::Deserialize;

use super::{Crumb, Nav, field, posted};
use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;
use crate::error::PageError;
use crate::signage;

/// Blank rows offered under what a unit has recorded (the form adds more on demand).
const BLANK_SIGNS: usize = 1;
const BLANK_MECHANISMS: usize = 1;

pub struct SignRow {
    pub name: String,
    pub outside: bool,
    pub represents: String,
}

pub struct MechanismRow {
    pub name: String,
    pub set_up_by: String,
    pub dedicated_staff: bool,
    pub basis: String,
}

pub struct FindingRow {
    pub label: &'static str,
    pub object: String,
    pub reason: String,
}

pub struct CleanupRow {
    pub object: String,
    pub reason: String,
    pub found_on: String,
    pub due_on: String,
    pub closed_on: Option<String>,
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "signage.html")]
pub struct SignagePage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    unit: Region,
    /// Whether the caller records for the unit (its worker, its township's officer) or only
    /// oversees it.
    can_record: bool,
    signs: Vec<SignRow>,
    mechanisms: Vec<MechanismRow>,
    total_area: String,
    activity_area: String,
    office_area: String,
    submitted_at: Option<String>,
    rules_from: String,
    findings: Vec<FindingRow>,
    cleanup: Vec<CleanupRow>,
    /// (id, what it shows).
    photos: Vec<(i64, String)>,
    /// (subject, label) a new photo may show: the centre and each recorded sign.
    subjects: Vec<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

/// What a photo's subject reads as.
fn subject_label(subject: &str) -> String {
    match subject.strip_prefix("sign:") {
        Some(name) => format!("标牌“{name}”"),
        None => "党群服务中心".to_owned(),
    }
}

#[derive(Deserialize, Default)]
pub struct SignageParams {
    /// The unit, for a township officer; a village worker's own unit otherwise.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    notice: String,
}

fn unit_code(user: &CurrentUser, asked: &str) -> String {
    match asked.trim() {
        "" => user.principal.region.as_str().to_owned(),
        code => code.to_owned(),
    }
}

fn area_text(a: u64) -> String {
    let s = format!("{:.2}", a as f64 / 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The form as the unit left it: the registry submitted, or what was just posted.
fn rows_of(registry: &Registry) -> (Vec<SignRow>, Vec<MechanismRow>) {
    let mut signs: Vec<SignRow> = registry
        .signs
        .iter()
        .map(|s| SignRow {
            name: s.name.clone(),
            outside: s.position == Position::Outside,
            represents: s.represents.clone(),
        })
        .collect();
    signs.extend((0..BLANK_SIGNS).map(|_| SignRow {
        name: String::new(),
        outside: true,
        represents: String::new(),
    }));
    let mut mechanisms: Vec<MechanismRow> = registry
        .mechanisms
        .iter()
        .map(|m| MechanismRow {
            name: m.name.clone(),
            set_up_by: m.set_up_by.clone(),
            dedicated_staff: m.dedicated_staff,
            basis: m.basis.clone().unwrap_or_default(),
        })
        .collect();
    mechanisms.extend((0..BLANK_MECHANISMS).map(|_| MechanismRow {
        name: String::new(),
        set_up_by: String::new(),
        dedicated_staff: false,
        basis: String::new(),
    }));
    (signs, mechanisms)
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    shown: Option<(Registry, [String; 3])>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<SignagePage, Error> {
    let standing = signage::standing(state, user, code).await?;
    let day = today();
    let cleanup = jianfu_store::signage::cleanup_list(&state.db, &standing.unit.code)
        .await?
        .into_iter()
        .map(|i| CleanupRow {
            overdue: i.closed_on.is_none() && i.due_on < day,
            object: i.object,
            reason: i.reason,
            found_on: i.found_on.to_string(),
            due_on: i.due_on.to_string(),
            closed_on: i.closed_on.map(|d| d.to_string()),
        })
        .collect();
    let submitted = standing.submitted.as_ref();
    let (registry, areas) = match shown {
        Some(posted) => posted,
        None => {
            let registry = submitted.map(|s| s.registry.clone()).unwrap_or_default();
            let areas = registry.centre.map_or_else(Default::default, |c| {
                [c.total_area, c.activity_area, c.office_area].map(area_text)
            });
            (registry, areas)
        }
    };
    let (signs, mechanisms) = rows_of(&registry);
    let photos = jianfu_store::signage::photos(&state.db, &standing.unit.code)
        .await?
        .into_iter()
        .map(|p| (p.id, subject_label(&p.subject)))
        .collect();
    let recorded = submitted.iter().flat_map(|s| &s.registry.signs);
    let subjects = std::iter::once("centre".to_owned())
        .chain(recorded.map(|s| format!("sign:{}", s.name)))
        .map(|s| {
            let label = subject_label(&s);
            (s, label)
        })
        .collect();
    let [total_area, activity_area, office_area] = areas;
    let rules_from = match standing.rules_from {
        Some(region) => jianfu_store::region::require(&state.db, &region)
            .await
            .map_or_else(
                |_| region.as_str().to_owned(),
                |r| format!("{}的规则", r.name),
            ),
        None => "天津市默认规则（一横四竖两标识）".to_owned(),
    };
    Ok(SignagePage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::here(format!("机制牌子自查 · {}", standing.unit.name)),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        signs,
        mechanisms,
        total_area,
        activity_area,
        office_area,
        submitted_at: submitted.map(|s| {
            (s.submitted_at + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        }),
        rules_from,
        findings: standing
            .found
            .into_iter()
            .map(|n| FindingRow {
                label: n.check.label(),
                object: n.object,
                reason: n.reason,
            })
            .collect(),
        cleanup,
        photos,
        subjects,
        can_record: user
            .principal
            .roles
            .iter()
            .any(|r| r.has(Perm::RecordSignage)),
        unit: standing.unit,
        notice,
        error,
    })
}

/// The self-check form with what the rules find and the clean-up list.
pub async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<SignageParams>,
) -> Result<Response, PageError> {
    // Its own accounts record; those overseeing its region read (`standing` checks scope).
    if !user
        .principal
        .roles
        .iter()
        .any(|r| r.has(Perm::OverseeSignage))
    {
        user.require(&state, Perm::RecordSignage, "/signage")
            .await?;
    }
    let code = unit_code(&user, &p.unit);
    let notice = Some(p.notice).filter(|n| !n.is_empty());
    Ok(page(&state, &user, &code, None, notice, None)
        .await?
        .into_response())
}

/// The rows of the posted form, blank rows left out: the same registry the API takes.
fn registry_of(form: &[(String, String)]) -> Result<(Registry, [String; 3]), Error> {
    let all = |name: &str| -> Vec<&str> {
        form.iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect()
    };
    let (names, positions, represents) = (
        all("sign_name"),
        all("sign_position"),
        all("sign_represents"),
    );
    let mut signs = Vec::new();
    for (n, name) in names.iter().enumerate() {
        let stands_for = represents.get(n).copied().unwrap_or_default();
        if name.is_empty() && stands_for.is_empty() {
            continue;
        }
        let position =
            signage::position_of(signs.len(), positions.get(n).copied().unwrap_or_default())?;
        signs.push(Sign {
            name: (*name).to_owned(),
            position,
            represents: stands_for.to_owned(),
        });
    }
    let (m_names, set_up_by, dedicated, basis) = (
        all("mech_name"),
        all("mech_set_up_by"),
        all("mech_dedicated"),
        all("mech_basis"),
    );
    let mut mechanisms = Vec::new();
    for (n, name) in m_names.iter().enumerate() {
        let by = set_up_by.get(n).copied().unwrap_or_default();
        let cited = basis.get(n).copied().unwrap_or_default();
        if name.is_empty() && by.is_empty() && cited.is_empty() {
            continue;
        }
        mechanisms.push(Mechanism {
            name: (*name).to_owned(),
            set_up_by: by.to_owned(),
            dedicated_staff: dedicated.get(n).copied() == Some("yes"),
            basis: Some(cited.to_owned()).filter(|b| !b.is_empty()),
        });
    }
    let areas =
        ["total_area", "activity_area", "office_area"].map(|f| field(form, f).trim().to_owned());
    let centre = if areas.iter().all(String::is_empty) {
        None
    } else {
        let number = |label: &str, raw: &str| -> Result<u64, Error> {
            let value = if raw.is_empty() {
                Ok(0.0)
            } else {
                raw.parse::<f64>()
            };
            value
                .map_err(|_| {
                    Error::refused(format!(
                        "党群服务中心{label}“{raw}”不是数字：请填写平方米数，例如 120.5"
                    ))
                })
                .and_then(|m2| signage::area_of(label, m2))
        };
        Some(ServiceCentre {
            total_area: number("总建筑面积", &areas[0])?,
            activity_area: number("活动区域面积", &areas[1])?,
            office_area: number("办公区域面积", &areas[2])?,
        })
    };
    Ok((
        Registry {
            mechanisms,
            signs,
            centre,
        },
        areas,
    ))
}

/// Records the posted self-check; a refusal shows the form again as it was filled in.
pub async fn submit(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::RecordSignage, "/signage")
        .await?;
    let form = posted(&user, &body)?;
    let code = unit_code(&user, field(&form, "unit"));
    let outcome = match registry_of(&form) {
        Ok((registry, areas)) => signage::submit(&state, &user, &code, &registry)
            .await
            .map_err(|e| (e, Some((registry, areas)))),
        Err(e) => Err((e, None)),
    };
    match outcome {
        Ok(done) => {
            let notice = if done.found.is_empty() {
                "已提交：符合规定".to_owned()
            } else {
                format!(
                    "已提交：发现 {} 处不符合规定，已列入清理整改清单",
                    done.found.len()
                )
            };
            Ok(Redirect::to(&format!(
                "/signage?unit={}&notice={}",
                done.unit.code,
                super::encode(&notice)
            ))
            .into_response())
        }
        Err((e @ Error::Refused { .. }, shown)) => {
            let page = page(&state, &user, &code, shown, None, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err((e, _)) => Err(e.into()),
    }
}

/// Keeps an uploaded photo of a sign or of the centre.
pub async fn upload_photo(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::RecordSignage, "/signage/photos")
        .await?;
    let (fields, files) = super::multipart(form).await?;
    user.check_csrf(field(&fields, "csrf"))?;
    let code = unit_code(&user, field(&fields, "unit"));
    let outcome = match files.first() {
        None => Err(Error::refused("请选择要上传的照片")),
        Some((_, name, bytes)) => {
            signage::add_photo(&state, &user, &code, field(&fields, "subject"), name, bytes).await
        }
    };
    match outcome {
        Ok(unit) => Ok(Redirect::to(&format!(
            "/signage?unit={}&notice={}",
            unit.code,
            super::encode("照片已上传")
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = page(&state, &user, &code, None, None, Some(e.to_string())).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// One photo, for whoever may read the unit's self-check.
pub async fn photo(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Path(id): axum::extract::Path<i64>,
    Query(p): Query<SignageParams>,
) -> Result<Response, PageError> {
    let code = unit_code(&user, &p.unit);
    // Only the permission and scope: a photo needs no compliance check.
    let unit = signage::readable(&state, &user, &code).await?;
    let photo = jianfu_store::signage::photo(&state.db, &unit.code, id).await?;
    let disposition = format!("inline; filename*=UTF-8''{}", super::encode(&photo.name));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, photo.mime),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        photo.content,
    )
        .into_response())
}

pub struct ProgressRow {
    pub code: String,
    pub name: String,
    /// Where the row leads: the next level's progress, or a unit's self-check.
    pub href: String,
    pub units: u32,
    pub submitted: u32,
    pub compliant: u32,
    pub open: u32,
    pub closed: u32,
    pub overdue: u32,
}

impl ProgressRow {
    /// Closed items as a share of all, in percent (100 when there were none).
    pub fn closure(&self) -> String {
        match self.open + self.closed {
            0 => "—".into(),
            all => format!("{:.0}%", f64::from(self.closed) * 100.0 / f64::from(all)),
        }
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.name.clone(),
            self.units.to_string(),
            self.submitted.to_string(),
            self.compliant.to_string(),
            self.open.to_string(),
            self.closed.to_string(),
            self.overdue.to_string(),
            self.closure(),
        ]
    }
}

const PROGRESS_HEADERS: [&str; 9] = [
    "区划代码",
    "名称",
    "村（社区）数",
    "已自查",
    "符合规定",
    "未整改问题",
    "已整改问题",
    "逾期问题",
    "整改完成率",
];

#[derive(Template, WebTemplate)]
#[template(path = "signage_progress.html")]
pub struct ProgressPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    scope: Region,
    rows: Vec<ProgressRow>,
    total: ProgressRow,
    query: String,
}

#[derive(Deserialize, Default)]
pub struct ProgressParams {
    #[serde(default)]
    region: String,
    #[serde(default)]
    format: String,
}

/// 机制牌子整改进度: the caller's region (or one within it) broken down one level.
pub async fn progress(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<ProgressParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::OverseeSignage, "/signage/progress")
        .await?;
    let code = match p.region.trim() {
        "" => user.principal.region,
        raw => RegionCode::parse(raw)?,
    };
    let scope = jianfu_store::region::require(&state.db, &code).await?;
    user.require_within(&state, Perm::OverseeSignage, &scope, "/signage/progress")
        .await?;
    let (rows, total) = progress_rows(&state, &scope).await?;
    if p.format == "xlsx" {
        let mut cells: Vec<Vec<String>> = rows.iter().map(ProgressRow::cells).collect();
        cells.push(total.cells());
        let bytes = jianfu_docs::xlsx::workbook("机制牌子整改进度", &PROGRESS_HEADERS, cells)
            .map_err(|e| {
                tracing::error!(error = %e, "signage progress export failed");
                Error::Internal
            })?;
        let name = format!("机制牌子整改进度-{}-{}.xlsx", scope.name, today());
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "signage-progress.xlsx",
            &name,
        ));
    }
    Ok(ProgressPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::here(format!("机制牌子整改进度 · {}", scope.name)),
        ],
        query: format!("region={}", scope.code),
        scope,
        rows,
        total,
    }
    .into_response())
}

/// One row per district, township or unit directly under `scope`, and the total.
async fn progress_rows(
    state: &AppState,
    scope: &Region,
) -> Result<(Vec<ProgressRow>, ProgressRow), Error> {
    let units = jianfu_store::region::villages_within(&state.db, &scope.code).await?;
    let prefix = scope.code.as_str().trim_end_matches('0');
    let day = today();
    let standing = jianfu_store::signage::progress(&state.db, prefix, day).await?;
    // The level below the scope each unit counts under.
    let group = |u: &Region| -> RegionCode {
        match scope.level {
            Level::Province | Level::City => u.code.county().unwrap_or(u.code),
            Level::County => u.parent_code.unwrap_or(u.code),
            _ => u.code,
        }
    };
    let mut rows: Vec<ProgressRow> = Vec::new();
    let mut total = ProgressRow {
        code: scope.code.as_str().to_owned(),
        name: "合计".into(),
        href: String::new(),
        units: 0,
        submitted: 0,
        compliant: 0,
        open: 0,
        closed: 0,
        overdue: 0,
    };
    for u in &units {
        let g = group(u);
        if rows.last().is_none_or(|r| r.code != g.as_str()) {
            rows.push(ProgressRow {
                code: g.as_str().to_owned(),
                name: String::new(),
                href: if g == u.code {
                    format!("/signage?unit={g}")
                } else {
                    format!("/signage/progress?region={g}")
                },
                units: 0,
                submitted: 0,
                compliant: 0,
                open: 0,
                closed: 0,
                overdue: 0,
            });
        }
        let row = rows.last_mut().expect("pushed above");
        let s = standing.get(u.code.as_str()).copied().unwrap_or_default();
        for r in [&mut *row, &mut total] {
            r.units += 1;
            r.submitted += u32::from(s.submitted);
            r.compliant += u32::from(s.submitted && s.non_compliances == 0);
            r.open += s.open;
            r.closed += s.closed;
            r.overdue += s.overdue;
        }
    }
    let codes: Vec<RegionCode> = rows
        .iter()
        .filter_map(|r| RegionCode::parse(&r.code).ok())
        .collect();
    let names = jianfu_store::region::get_many(&state.db, &codes).await?;
    for r in &mut rows {
        r.name = names
            .iter()
            .find(|n| n.code.as_str() == r.code)
            .map_or_else(|| r.code.clone(), |n| n.name.clone());
    }
    Ok((rows, total))
}

pub struct RuleRow {
    pub name: String,
    pub position: &'static str,
    pub applicability: &'static str,
    pub note: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "signage_rules.html")]
pub struct RulesPage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    csrf: String,
    region: Region,
    /// Where the rules in force come from.
    source: String,
    rows: Vec<RuleRow>,
    min_activity_percent: u8,
    /// Whether the caller keeps this region's rules (civil affairs of the city or a district).
    can_edit: bool,
    notice: Option<String>,
    error: Option<String>,
    problems: Vec<String>,
}

const RULE_HEADERS: [&str; 4] = ["标牌名称", "位置", "适用", "备注"];

#[derive(Deserialize, Default)]
pub struct RulesParams {
    #[serde(default)]
    format: String,
    #[serde(default)]
    notice: String,
}

async fn rules_page(
    state: &AppState,
    user: &CurrentUser,
    notice: Option<String>,
    error: Option<String>,
    problems: Vec<String>,
) -> Result<RulesPage, Error> {
    let region = jianfu_store::region::require(&state.db, &user.principal.region).await?;
    let (rules, from) = signage::rules_for(state, &region.code).await?;
    let source = match from {
        Some(code) if code == region.code => "本地区制定的规则".to_owned(),
        Some(code) => {
            let above = jianfu_store::region::require(&state.db, &code).await?;
            format!("沿用{}的规则", above.name)
        }
        None => "天津市默认规则（一横四竖两标识）".to_owned(),
    };
    Ok(RulesPage {
        nav: Nav::new(Some(&user.principal)),
        crumbs: vec![
            Crumb::link("首页", "/"),
            Crumb::link("机制牌子整改进度", "/signage/progress"),
            Crumb::here("机制牌子规则"),
        ],
        csrf: user.principal.csrf.clone().unwrap_or_default(),
        source,
        rows: rules
            .rules
            .iter()
            .map(|r| RuleRow {
                name: r.name.clone(),
                position: r.position.label(),
                applicability: r.applicability.label(),
                note: r.note.clone(),
            })
            .collect(),
        min_activity_percent: rules.min_activity_percent,
        can_edit: signage::keeps_rules(user),
        region,
        notice,
        error,
        problems,
    })
}

/// 机制牌子规则: the rules in force for the caller's region; `format=xlsx` downloads them in
/// the columns the import reads, to edit and import again.
pub async fn rules(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<RulesParams>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::OverseeSignage, "/signage/rules")
        .await?;
    let page = rules_page(
        &state,
        &user,
        Some(p.notice).filter(|n| !n.is_empty()),
        None,
        Vec::new(),
    )
    .await?;
    if p.format == "xlsx" {
        let cells = page.rows.iter().map(|r| {
            vec![
                r.name.clone(),
                r.position.to_owned(),
                r.applicability.to_owned(),
                r.note.clone(),
            ]
        });
        let bytes =
            jianfu_docs::xlsx::workbook("机制牌子规则", &RULE_HEADERS, cells).map_err(|e| {
                tracing::error!(error = %e, "sign rules export failed");
                Error::Internal
            })?;
        let name = format!("机制牌子规则-{}.xlsx", page.region.name);
        return Ok(super::attachment(
            bytes,
            super::XLSX,
            "sign-rules.xlsx",
            &name,
        ));
    }
    Ok(page.into_response())
}

/// Replaces the region's rules with those of an uploaded table (the least activity share kept).
pub async fn import_rules(
    State(state): State<AppState>,
    user: CurrentUser,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, PageError> {
    user.require(&state, Perm::OverseeSignage, "/signage/rules")
        .await?;
    let upload = super::upload(form).await?;
    user.check_csrf(&upload.csrf)?;
    let refuse = |error: String, problems: Vec<String>| async {
        let page = rules_page(&state, &user, None, Some(error), problems).await?;
        Ok::<_, PageError>((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    if upload.name.is_empty() || upload.bytes.is_empty() {
        return refuse("请选择要导入的文件".into(), Vec::new()).await;
    }
    let table = match jianfu_docs::table::table_from_bytes(&upload.name, upload.bytes) {
        Ok(t) => t,
        Err(e) => return refuse(e.to_string(), Vec::new()).await,
    };
    let rules = match jianfu_docs::sign_rules::sign_rules(&table) {
        Ok(rules) => rules,
        Err(errors) => {
            let message = format!("文件有 {} 处错误，未导入任何内容：", errors.len());
            return refuse(message, errors.iter().map(ToString::to_string).collect()).await;
        }
    };
    let (current, _) = signage::rules_for(&state, &user.principal.region).await?;
    let set = RuleSet {
        rules,
        min_activity_percent: current.min_activity_percent,
    };
    match signage::set_rules(&state, &user, &set).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/signage/rules?notice={}",
            super::encode(&format!("已导入 {} 条规则", set.rules.len()))
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => refuse(e.to_string(), Vec::new()).await,
        Err(e) => Err(e.into()),
    }
}

/// Sets the least activity share, keeping the rules.
pub async fn set_share(
    State(state): State<AppState>,
    user: CurrentUser,
    body: axum::body::Bytes,
) -> Result<Response, PageError> {
    user.require(&state, Perm::OverseeSignage, "/signage/rules")
        .await?;
    let form = posted(&user, &body)?;
    let raw = field(&form, "min_activity_percent").trim();
    let (current, _) = signage::rules_for(&state, &user.principal.region).await?;
    let outcome = match raw.parse::<u8>() {
        Ok(percent) => {
            let set = RuleSet {
                min_activity_percent: percent,
                ..current
            };
            signage::set_rules(&state, &user, &set)
                .await
                .map(|()| percent)
        }
        Err(_) => Err(Error::refused(format!(
            "活动区域最低占比“{raw}”不是 1 至 100 之间的整数"
        ))),
    };
    match outcome {
        Ok(percent) => Ok(Redirect::to(&format!(
            "/signage/rules?notice={}",
            super::encode(&format!("活动区域最低占比已设为 {percent}%"))
        ))
        .into_response()),
        Err(e @ Error::Refused { .. }) => {
            let page = rules_page(&state, &user, None, Some(e.to_string()), Vec::new()).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
