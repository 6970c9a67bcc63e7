//! Mechanisms, signs and service centres: what the handlers share. A unit's registry is checked
//! against the rule set of the nearest region above it (Tianjin's default where none is set),
//! the mechanism-sign items in force for it and the admitted tasks covering it.

use chrono::NaiveDate;
use jianfu_domain::account::{Perm, Role};
use jianfu_domain::catalog::DirectoryKind;
use jianfu_domain::signage::{
    self, AdmittedBasis, CentiSquareMetres, Facts, NonCompliance, Position, Registry, RuleSet,
};
use jianfu_domain::{Error, Level, Region, RegionCode};
use jianfu_store::signage::{Submission, Submitted};

use crate::AppState;
use crate::api::catalog::today;
use crate::auth::CurrentUser;

/// Working days a unit has to clear an item of its clean-up list.
pub const CLEANUP_WORKING_DAYS: u32 = 20;

/// The largest area taken (a million square metres).
const MAX_AREA: f64 = 1_000_000.0;

/// An area given in square metres, kept to the hundredth.
pub fn area_of(field: &str, m2: f64) -> Result<CentiSquareMetres, Error> {
    if !m2.is_finite() || !(0.0..=MAX_AREA).contains(&m2) {
        return Err(Error::refused(format!(
            "党群服务中心{field}应为 0 至 {MAX_AREA} 之间的平方米数，现为 {m2}"
        )));
    }
    Ok((m2 * 100.0).round() as CentiSquareMetres)
}

/// The position of the `n`th sign (from 0), as the API or a form gives it.
pub fn position_of(n: usize, raw: &str) -> Result<Position, Error> {
    Position::parse(raw).ok_or_else(|| {
        Error::refused(format!(
            "第 {} 块标牌：位置“{raw}”不正确，应为 outside（外部）或 inside（内部）",
            n + 1
        ))
    })
}

/// The rule set that governs `unit`, and the region that set it (`None`: Tianjin's default).
pub async fn rules_for(
    state: &AppState,
    unit: &RegionCode,
) -> Result<(RuleSet, Option<RegionCode>), Error> {
    Ok(
        match jianfu_store::signage::rule_set_for(&state.db, unit).await? {
            Some(s) => (s.rules, Some(s.region)),
            None => (RuleSet::tianjin(), None),
        },
    )
}

/// What the rules find in `registry` for `unit` on `day`.
pub async fn check(
    state: &AppState,
    unit: &Region,
    registry: &Registry,
    rules: &RuleSet,
    day: NaiveDate,
) -> Result<Vec<NonCompliance>, Error> {
    let snapshot = state.catalog.snapshot(&state.db, today()).await?;
    let mechanisms = snapshot.effective_for(DirectoryKind::MechanismSign, unit, day);
    let tasks: Vec<_> = jianfu_store::admission::admitted_tasks(&state.db)
        .await?
        .into_iter()
        .filter(|t| t.in_force(day) && t.scope.iter().any(|s| s.concerns(&unit.code, unit.kind)))
        .collect();
    let admitted: Vec<AdmittedBasis<'_>> = tasks
        .iter()
        .map(|t| AdmittedBasis { code: &t.code })
        .collect();
    Ok(signage::compliance(
        registry,
        &Facts {
            kind: unit.kind,
            rules,
            mechanisms: &mechanisms,
            admitted: &admitted,
        },
    ))
}

/// The village or community `code` names, if the caller may record its registry: its own
/// worker, or an officer of its township.
async fn recordable(state: &AppState, user: &CurrentUser, code: &str) -> Result<Region, Error> {
    let unit = region(state, code).await?;
    user.require_within(state, Perm::RecordSignage, &unit, "signage")
        .await?;
    village_level(unit)
}

async fn region(state: &AppState, code: &str) -> Result<Region, Error> {
    let code = RegionCode::parse(code.trim())?;
    jianfu_store::region::require(&state.db, &code).await
}

/// Registries are kept per village or community; asked of another level, say so (after the
/// scope check, so nobody learns of units outside theirs).
fn village_level(unit: Region) -> Result<Region, Error> {
    if unit.level != Level::Village {
        return Err(Error::refused(format!(
            "{}不是村（社区）：机制牌子按村（社区）登记",
            unit.name
        )));
    }
    Ok(unit)
}

/// The kind of image `bytes` hold, by their first bytes (never by the name alone): JPEG, PNG or
/// WebP, which every phone takes and every browser shows.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Keeps a photo of one of `code`'s recorded signs (`sign:<name>`) or of its centre.
pub async fn add_photo(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    subject: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Region, Error> {
    let unit = recordable(state, user, code).await?;
    let registry = jianfu_store::signage::registry(&state.db, &unit.code)
        .await?
        .map(|s| s.registry)
        .unwrap_or_default();
    let known = subject == "centre"
        || subject
            .strip_prefix("sign:")
            .is_some_and(|n| registry.signs.iter().any(|s| s.name == n));
    if !known {
        return Err(Error::refused(
            "请选择照片对应的标牌或党群服务中心（先提交自查）",
        ));
    }
    if bytes.len() > jianfu_store::signage::MAX_PHOTO_BYTES {
        return Err(Error::refused(format!(
            "照片“{name}”超过 1.5 MB，请压缩后再上传"
        )));
    }
    let Some(mime) = image_type(bytes) else {
        return Err(Error::refused(format!(
            "“{name}”不是 JPEG、PNG 或 WebP 图片"
        )));
    };
    jianfu_store::signage::add_photo(
        &state.db,
        &unit.code,
        subject,
        name,
        mime,
        bytes,
        &user.principal.username,
        &user.audit_entry("signage.photo", unit.code.as_str()),
    )
    .await?;
    Ok(unit)
}

/// What a submission found and changed.
pub struct SelfCheck {
    pub unit: Region,
    pub found: Vec<NonCompliance>,
    pub cleanup: Submission,
}

/// Records `registry` as `code`'s self-check: checked, stored with its findings, and the
/// clean-up list brought up to date (new findings due in [`CLEANUP_WORKING_DAYS`]).
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
    registry: &Registry,
) -> Result<SelfCheck, Error> {
    let unit = recordable(state, user, code).await?;
    registry.validate().map_err(Error::refused)?;
    let day = today();
    let (rules, _) = rules_for(state, &unit.code).await?;
    let found = check(state, &unit, registry, &rules, day).await?;
    let calendar = crate::admission::calendar(state).await?;
    let due = calendar.add_working_days(day, CLEANUP_WORKING_DAYS);
    let cleanup = jianfu_store::signage::submit(
        &state.db,
        &unit.code,
        registry,
        &found,
        day,
        due,
        &user.principal.username,
        &user.audit_entry("signage.submit", unit.code.as_str()),
    )
    .await?;
    Ok(SelfCheck {
        unit,
        found,
        cleanup,
    })
}

/// A unit's standing: its registry as submitted, and what the rules in force find in it now.
pub struct Standing {
    pub unit: Region,
    pub submitted: Option<Submitted>,
    pub found: Vec<NonCompliance>,
    /// Where the rules come from (`None`: Tianjin's default).
    pub rules_from: Option<RegionCode>,
}

/// The village or community `code` names, if the caller may read what it recorded: its own
/// accounts, its township's, and those overseeing its region.
pub async fn readable(state: &AppState, user: &CurrentUser, code: &str) -> Result<Region, Error> {
    let unit = region(state, code).await?;
    let perm = if user
        .principal
        .roles
        .iter()
        .any(|r| r.has(Perm::OverseeSignage))
    {
        Perm::OverseeSignage
    } else {
        Perm::RecordSignage
    };
    user.require_within(state, perm, &unit, "signage").await?;
    village_level(unit)
}

/// `code`'s standing, for its own accounts and those overseeing its region.
pub async fn standing(state: &AppState, user: &CurrentUser, code: &str) -> Result<Standing, Error> {
    let unit = readable(state, user, code).await?;
    let submitted = jianfu_store::signage::registry(&state.db, &unit.code).await?;
    let (rules, rules_from) = rules_for(state, &unit.code).await?;
    let found = match &submitted {
        Some(s) => check(state, &unit, &s.registry, &rules, today()).await?,
        None => Vec::new(),
    };
    Ok(Standing {
        unit,
        submitted,
        found,
        rules_from,
    })
}

/// Whether the caller keeps its region's sign rules: civil affairs of the city or a district.
pub fn keeps_rules(user: &CurrentUser) -> bool {
    user.principal.roles.contains(&Role::CivilAffairs)
        && matches!(
            user.principal.region.level(),
            Level::Province | Level::County
        )
}

/// Sets the caller's own region's rule set: civil affairs of the city or of a district.
pub async fn set_rules(state: &AppState, user: &CurrentUser, rules: &RuleSet) -> Result<(), Error> {
    user.require(state, Perm::OverseeSignage, "sign-rules")
        .await?;
    let region = user.principal.region;
    if !keeps_rules(user) {
        return Err(Error::refused("机制牌子规则由市、区民政部门维护"));
    }
    rules.validate().map_err(Error::refused)?;
    jianfu_store::signage::set_rule_set(
        &state.db,
        &region,
        rules,
        &user.principal.username,
        &user.audit_entry("signage.rules", region.as_str()),
    )
    .await
}
