//! The home page: what the platform is for and what it holds.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use jianfu_domain::Level;
use jianfu_store::{department, region};

use super::{Crumb, Nav, thousands};
use crate::AppState;
use crate::auth::MaybeUser;
use crate::error::PageError;

pub struct LevelCount {
    pub label: &'static str,
    pub count: String,
    pub href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    nav: Nav,
    crumbs: Vec<Crumb>,
    counts: Vec<LevelCount>,
    departments: String,
}

pub async fn page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
) -> Result<HomePage, PageError> {
    let counts = region::count_by_level(&state.db, None).await?;
    let departments = department::count(&state.db).await?;
    Ok(HomePage {
        nav: Nav::new(user.as_ref()),
        crumbs: vec![Crumb::here("首页")],
        counts: counts
            .into_iter()
            .map(|(level, n): (Level, u64)| LevelCount {
                label: level.units_label(),
                count: thousands(n),
                href: format!("/regions?level={}", level.as_str()),
            })
            .collect(),
        departments: thousands(departments),
    })
}
