//! The JSON API (`/api/v1`), registered together with its OpenAPI description so the two cannot
//! drift apart. Errors are `{"error": {"code", "message"}}` with a 4xx/5xx status.

pub(crate) mod adjustments;
pub(crate) mod admissions;
pub(crate) mod catalog;
mod certificates;
mod dispatches;
mod health;
mod inspections;
mod me;
pub(crate) mod regions;
mod reports;
mod signage;

use axum::extract::{FromRequest, FromRequestParts};
use jianfu_domain::Error;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "jianfu 减负平台接口",
        description = "天津市规范村（社区）组织工作事务、机制牌子和证明事项平台的 JSON 接口。错误统一返回 `{\"error\": {\"code\", \"message\"}}`，code 为稳定的英文代码，message 为中文说明。",
        version = "1"
    ),
    tags(
        (name = "系统", description = "运行状态"),
        (name = "账号", description = "调用者身份。各部门业务系统使用 `Authorization: Bearer 令牌` 调用，令牌由 `jianfu token create` 生成"),
        (name = "区划", description = "行政区划树：省、市、区（县）、街道（乡镇）、村（社区），国家统计局 12 位统计用区划代码"),
        (name = "指导目录", description = "村（社区）工作事务、机制牌子、证明事项等指导目录：已发布版本、某单位某日适用的事项（含所在区的区级细化）、版本比较与检索。公开，无需登录"),
        (name = "准入", description = "村（社区）工作事务准入：职能部门申请将指导目录以外的任务交由村（社区）承担，经会签、同级民政部门初审、同级党委政府审批后成为准入事项；派发任务时引用准入事项编号。准入事项列表公开，无需登录。步骤不符合当前状态时返回 409（code 为 wrong_stage，stage 为当前状态）"),
        (name = "任务派发", description = "派发审查：任务须引用现行指导目录事项（按派发对象所在区的细化）或准入事项，由责任部门（或其上级、本街道乡镇）派发，适用于派发对象的类别、在准入范围和期限内。`check` 只审查、不派发，逐个村（社区）返回结论（allowed 准予、flagged 提示核查、blocked 不予派发）和全部理由"),
        (name = "证明事项", description = "村（社区）出具证明：只出具现行可出具证明事项清单内的证明；不应出具清单内的、两张清单均未列入的（本地区允许经居民协商的除外）不予出具，返回 422 `certificate_not_allowed` 和 `guidance`（办理指引），拒绝同样记录要求开具单位。证明编号为“单位代码-年份-序号”，二维码指向公开核验页 `/verify/{编号}?t=校验码`（`Accept: application/json` 时返回 JSON）"),
        (name = "机制牌子", description = "村（社区）工作机制、标牌和党群服务中心的摸排自查：`PUT` 整体提交本单位的工作机制、内外部标牌和党群服务中心面积，按所在区（或市）的规则逐项检查；天津默认规则为外部“一横四竖两标识”、内部只为机制牌子目录中的机制挂牌、村（居）民活动区域不低于总建筑面积的 60%、未经准入不设工作机制和专人专岗。每个问题列入本单位清理整改清单，限期 20 个工作日"),
        (name = "检查评估", description = "检查评估与整改：联合检查组（民政、组织、农村工作部门）按区分层抽样（SplitMix64，记录随机种子，可复现）制定明察或暗访计划；暗访计划封存时把计划原文与随机数的 SM3 摘要记入审计链，检查结束后公开原文供核对。检查发现下达整改，限期（工作日）内由责任单位报送整改情况和佐证材料，检查组核查销号；逾期的次日起上报上一级，此后每 5 个工作日再上报一级，直至市级。时间安排按五个阶段计算完成标准"),
        (name = "目录调整", description = "指导目录的动态调整和区级细化：起草、导入、审核、审批、发布。市级民政部门调整市级目录，区民政部门细化本区目录，各自只办理本级的调整。使用会话 Cookie 调用时，修改类请求须在 `X-CSRF-Token` 头中携带会话的防伪令牌")
    ),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Declares the bearer-token scheme the protected routes refer to.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(regions::search))
        .routes(routes!(regions::get_region))
        .routes(routes!(regions::children))
        .routes(routes!(regions::lookup))
        .routes(routes!(me::me))
        .routes(routes!(catalog::directories))
        .routes(routes!(catalog::search))
        .routes(routes!(catalog::items))
        .routes(routes!(catalog::versions))
        .routes(routes!(catalog::diff))
        .routes(routes!(adjustments::list, adjustments::create))
        .routes(routes!(adjustments::show))
        .routes(routes!(adjustments::import))
        .routes(routes!(adjustments::refine))
        .routes(routes!(adjustments::act))
        .routes(routes!(admissions::list, admissions::create))
        .routes(routes!(admissions::show))
        .routes(routes!(admissions::act))
        .routes(routes!(admissions::admitted_tasks))
        .routes(routes!(admissions::admitted_task))
        .routes(routes!(dispatches::check))
        .routes(routes!(dispatches::create))
        .routes(routes!(dispatches::inbox))
        .routes(routes!(dispatches::act))
        .routes(routes!(reports::create))
        .routes(routes!(reports::ledger))
        .routes(routes!(reports::mine))
        .routes(routes!(reports::rule))
        .routes(routes!(reports::notices))
        .routes(routes!(certificates::create))
        .routes(routes!(certificates::revoke))
        .routes(routes!(certificates::types))
        .routes(routes!(signage::get, signage::put))
        .routes(routes!(signage::compliance))
        .routes(routes!(inspections::create_group))
        .routes(routes!(inspections::create_plan))
        .routes(routes!(inspections::plan))
        .routes(routes!(inspections::act_on_plan))
        .routes(routes!(inspections::add_finding))
        .routes(routes!(inspections::issue))
        .routes(routes!(inspections::rectifications))
        .routes(routes!(inspections::act_on_rectification))
        .routes(routes!(inspections::campaign))
}

/// Who may call each API route; the route coverage test checks every documented route is here
/// and enforced.
pub const ACCESS: [(&str, crate::views::Access); 44] = [
    ("/healthz", crate::views::Access::Public),
    ("/api/v1/regions", crate::views::Access::Public),
    ("/api/v1/regions/{code}", crate::views::Access::Public),
    (
        "/api/v1/regions/{code}/children",
        crate::views::Access::Public,
    ),
    ("/api/v1/regions/lookup", crate::views::Access::LoggedIn),
    ("/api/v1/me", crate::views::Access::LoggedIn),
    ("/api/v1/directories", crate::views::Access::Public),
    ("/api/v1/directories/search", crate::views::Access::Public),
    (
        "/api/v1/directories/{kind}/items",
        crate::views::Access::Public,
    ),
    (
        "/api/v1/directories/{kind}/versions",
        crate::views::Access::Public,
    ),
    (
        "/api/v1/directories/{kind}/diff",
        crate::views::Access::Public,
    ),
    ("/api/v1/adjustments", ADJUST),
    ("/api/v1/adjustments/{id}", ADJUST),
    ("/api/v1/adjustments/{id}/import", ADJUST),
    ("/api/v1/adjustments/{id}/refinements", ADJUST),
    ("/api/v1/adjustments/{id}/actions", ADJUST),
    ("/api/v1/admissions", ADMIT),
    ("/api/v1/admissions/{id}", ADMIT),
    ("/api/v1/admissions/{id}/actions/{action}", ADMIT),
    ("/api/v1/admitted-tasks", crate::views::Access::Public),
    (
        "/api/v1/admitted-tasks/{code}",
        crate::views::Access::Public,
    ),
    (
        "/api/v1/dispatches/check",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Dispatch),
    ),
    (
        "/api/v1/dispatches",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Dispatch),
    ),
    (
        "/api/v1/inbox",
        crate::views::Access::Perm(jianfu_domain::account::Perm::ReceiveTasks),
    ),
    (
        "/api/v1/deliveries/{id}/actions/{action}",
        crate::views::Access::Perm(jianfu_domain::account::Perm::ReceiveTasks),
    ),
    (
        "/api/v1/reports",
        crate::views::Access::Perm(jianfu_domain::account::Perm::ReceiveTasks),
    ),
    (
        "/api/v1/violations",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Supervise),
    ),
    (
        "/api/v1/violations/mine",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Dispatch),
    ),
    (
        "/api/v1/disputes/{id}/ruling",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Supervise),
    ),
    ("/api/v1/notices", crate::views::Access::Public),
    (
        "/api/v1/certificates",
        crate::views::Access::Perm(jianfu_domain::account::Perm::IssueCertificates),
    ),
    (
        "/api/v1/certificates/{cert_no}/revoke",
        crate::views::Access::Perm(jianfu_domain::account::Perm::IssueCertificates),
    ),
    ("/api/v1/certificate-types", crate::views::Access::Public),
    // The unit's own workers, its township's officers, and those overseeing its region: the
    // handlers check the permission and the scope.
    (
        "/api/v1/regions/{code}/signage",
        crate::views::Access::LoggedIn,
    ),
    (
        "/api/v1/regions/{code}/compliance",
        crate::views::Access::LoggedIn,
    ),
    (
        "/api/v1/inspections/groups",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Inspect),
    ),
    (
        "/api/v1/inspections/plans",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Inspect),
    ),
    // The plan's group, or those following the campaign once it is disclosed (checked inside).
    (
        "/api/v1/inspections/plans/{id}",
        crate::views::Access::LoggedIn,
    ),
    (
        "/api/v1/inspections/plans/{id}/actions/{action}",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Inspect),
    ),
    (
        "/api/v1/inspections/plans/{id}/findings",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Inspect),
    ),
    (
        "/api/v1/inspections/findings/{id}/rectification",
        crate::views::Access::Perm(jianfu_domain::account::Perm::Inspect),
    ),
    // The responsible units and those above them, and the group's inspectors (checked inside).
    ("/api/v1/rectifications", crate::views::Access::LoggedIn),
    (
        "/api/v1/rectifications/{id}/actions/{action}",
        crate::views::Access::LoggedIn,
    ),
    (
        "/api/v1/campaign",
        crate::views::Access::Perm(jianfu_domain::account::Perm::FollowCampaign),
    ),
];

const ADMIT: crate::views::Access =
    crate::views::Access::Perm(jianfu_domain::account::Perm::HandleAdmissions);

const ADJUST: crate::views::Access =
    crate::views::Access::Perm(jianfu_domain::account::Perm::HandleAdjustments);

/// `Query` whose rejection is our JSON error (`invalid_query`) instead of axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError(Error::InvalidQuery(r.body_text()))
    }
}

/// `Json` whose rejection is our JSON error (`invalid_json`, 400) in Chinese, naming where the
/// body went wrong, instead of axum's plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        use axum::extract::rejection::JsonRejection as R;
        let detail = r.body_text();
        let message = match r {
            R::MissingJsonContentType(_) => "请以 Content-Type: application/json 发送".to_owned(),
            R::JsonSyntaxError(_) => format!("语法错误{}", position(&detail)),
            R::JsonDataError(_) => format!("字段或取值不符合要求{}", position(&detail)),
            _ => "无法读取请求正文".to_owned(),
        };
        ApiError(Error::InvalidJson(message))
    }
}

/// A JSON body that may be left empty (steps that need no comment): its default then.
pub fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| {
        let at = position(&e.to_string());
        Error::InvalidJson(format!("字段或取值不符合要求{at}"))
    })
}

/// "…at line 3 column 7" in serde's message → "（第 3 行第 7 列附近）".
fn position(detail: &str) -> String {
    let number_after = |word: &str| {
        let rest = &detail[detail.rfind(word)? + word.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    };
    match (number_after("line "), number_after("column ")) {
        (Some(line), Some(column)) => format!("（第 {line} 行第 {column} 列附近）"),
        _ => String::new(),
    }
}
