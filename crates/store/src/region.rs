//! The administrative tree. Only one version of a code is in force at a time (`valid_to` is
//! NULL); older versions stay for history. Because the NBS code is itself a materialized path
//! (each level a fixed segment, and the parent is enforced to be the code's structural parent),
//! a subtree is a range of codes and needs no extra path column or closure table.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};

use jianfu_domain::audit::AuditEntry;
use jianfu_domain::region_import::{Candidate, ExistingUnit, ImportPlan};
use jianfu_domain::{Error, Level, Page, PageRequest, Region, RegionCode, RegionKind};

use crate::db_error;
use crate::entity::region::{self, Column, Entity};
use crate::sql::CachedSql;

/// Rows per INSERT: well under the bind-parameter limits of all three backends.
const INSERT_CHUNK: usize = 1000;
/// Codes per UPDATE … WHERE code IN (…).
const UPDATE_CHUNK: usize = 500;

fn to_domain(m: region::Model) -> Region {
    let code = RegionCode::parse(&m.code).expect("stored region codes are valid");
    Region {
        level: code.level(),
        kind: RegionKind::parse(&m.kind).unwrap_or(RegionKind::Other),
        parent_code: m
            .parent_code
            .as_deref()
            .and_then(|p| RegionCode::parse(p).ok()),
        children_count: u32::try_from(m.children_count).unwrap_or(0),
        name: m.name,
        valid_from: m.valid_from,
        valid_to: m.valid_to,
        code,
    }
}

fn in_force() -> sea_orm::Condition {
    sea_orm::Condition::all().add(Column::ValidTo.is_null())
}

/// The version of `code` in force now. The busiest read of all (every API client resolves
/// units), so its SQL is built once per backend.
pub async fn get(db: &DatabaseConnection, code: &RegionCode) -> Result<Option<Region>, Error> {
    static SQL: CachedSql = CachedSql::new();
    let backend = db.get_database_backend();
    let sql = SQL.get(backend, |b| {
        Entity::find()
            .filter(in_force())
            .filter(Column::Code.eq(""))
            .build(b)
            .sql
    });
    let stmt = Statement::from_sql_and_values(backend, sql, [code.as_str().into()]);
    let row = db.query_one_raw(stmt).await.map_err(db_error)?;
    row.map(|r| region::Model::from_query_result(&r, ""))
        .transpose()
        .map(|m| m.map(to_domain))
        .map_err(db_error)
}

/// The version in force now, or `RegionNotFound`.
pub async fn require(db: &DatabaseConnection, code: &RegionCode) -> Result<Region, Error> {
    get(db, code)
        .await?
        .ok_or_else(|| Error::RegionNotFound(code.to_string()))
}

/// Every version of `code`, oldest first.
pub async fn history(db: &DatabaseConnection, code: &RegionCode) -> Result<Vec<Region>, Error> {
    Entity::find()
        .filter(Column::Code.eq(code.as_str()))
        .order_by_asc(Column::ValidFrom)
        .all(db)
        .await
        .map(|v| v.into_iter().map(to_domain).collect())
        .map_err(db_error)
}

/// The units in force without a parent (provinces), by code.
pub async fn roots(db: &DatabaseConnection) -> Result<Vec<Region>, Error> {
    Entity::find()
        .filter(in_force())
        .filter(Column::ParentCode.is_null())
        .order_by_asc(Column::Code)
        .all(db)
        .await
        .map(|v| v.into_iter().map(to_domain).collect())
        .map_err(db_error)
}

/// The units in force among `codes`, by code (codes not in force are simply not returned).
pub async fn get_many<C: sea_orm::ConnectionTrait>(
    db: &C,
    codes: &[RegionCode],
) -> Result<Vec<Region>, Error> {
    let codes = codes.iter().map(|c| c.as_str().to_owned());
    let rows = Entity::find()
        .filter(in_force())
        .filter(Column::Code.is_in(codes))
        .order_by_asc(Column::Code)
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows.into_iter().map(to_domain).collect())
}

/// The direct children in force, by code.
pub async fn children(
    db: &DatabaseConnection,
    code: &RegionCode,
    page: PageRequest,
) -> Result<Page<Region>, Error> {
    let query = Entity::find()
        .filter(in_force())
        .filter(Column::ParentCode.eq(code.as_str()));
    paged(db, query, page).await
}

/// The units in force of `level` below `code`, in code order (a city's districts).
pub async fn below_at(
    db: &DatabaseConnection,
    code: &RegionCode,
    level: Level,
) -> Result<Vec<Region>, Error> {
    let (lo, hi) = subtree_range(code);
    Ok(Entity::find()
        .filter(in_force())
        .filter(Column::Level.eq(level.as_str()))
        .filter(Column::Code.gt(lo))
        .filter(Column::Code.lte(hi))
        .order_by(Column::Code, Order::Asc)
        .limit(MAX_UNITS_WITHIN)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(to_domain)
        .collect())
}

/// The chain from the province down to the unit itself.
pub async fn ancestors(db: &DatabaseConnection, region: &Region) -> Result<Vec<Region>, Error> {
    let mut codes = Vec::new();
    let mut cur = region.parent_code;
    while let Some(c) = cur {
        cur = c.parent();
        codes.push(c.as_str().to_owned());
    }
    let mut chain: Vec<Region> = Entity::find()
        .filter(in_force())
        .filter(Column::Code.is_in(codes))
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(to_domain)
        .collect();
    chain.sort_by_key(|r| r.level);
    chain.push(region.clone());
    Ok(chain)
}

/// Filters of the region search.
#[derive(Debug, Clone, Default)]
pub struct RegionFilter {
    /// Part of a name, or the leading digits of a code.
    pub q: Option<String>,
    pub level: Option<Level>,
    pub kind: Option<RegionKind>,
    /// Only units below this one.
    pub within: Option<RegionCode>,
}

pub async fn search(
    db: &DatabaseConnection,
    filter: &RegionFilter,
    page: PageRequest,
) -> Result<Page<Region>, Error> {
    let mut query = Entity::find().filter(in_force());
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut any = sea_orm::Condition::any()
            .add(Column::Name.like(LikeExpr::new(format!("%{escaped}%")).escape('\\')));
        if q.bytes().all(|b| b.is_ascii_digit()) && q.len() <= 12 {
            any = any.add(Column::Code.like(format!("{q}%")));
        }
        query = query.filter(any);
    }
    if let Some(level) = filter.level {
        query = query.filter(Column::Level.eq(level.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind.as_str()));
    }
    if let Some(within) = &filter.within {
        let (lo, hi) = subtree_range(within);
        query = query
            .filter(Column::Code.gt(lo))
            .filter(Column::Code.lte(hi));
    }
    paged(db, query, page).await
}

async fn paged(
    db: &DatabaseConnection,
    query: sea_orm::Select<Entity>,
    page: PageRequest,
) -> Result<Page<Region>, Error> {
    crate::paged(
        db,
        query.order_by(Column::Code, Order::Asc),
        page,
        to_domain,
    )
    .await
}

/// The codes strictly below `code`: (code, code's short form padded with nines].
pub(crate) fn subtree_range(code: &RegionCode) -> (String, String) {
    let short = code.short();
    let hi = format!("{short}{}", "9".repeat(12 - short.len()));
    (code.as_str().to_owned(), hi)
}

#[derive(FromQueryResult)]
struct LevelCount {
    level: String,
    n: i64,
}

/// How many units in force lie below `within` (or in the whole tree), by level.
pub async fn count_by_level(
    db: &DatabaseConnection,
    within: Option<&RegionCode>,
) -> Result<Vec<(Level, u64)>, Error> {
    let mut query = Entity::find()
        .select_only()
        .column(Column::Level)
        .column_as(Expr::col(Column::Id).count(), "n")
        .filter(in_force())
        .group_by(Column::Level);
    if let Some(code) = within {
        let (lo, hi) = subtree_range(code);
        query = query
            .filter(Column::Code.gt(lo))
            .filter(Column::Code.lte(hi));
    }
    let rows = query
        .into_model::<LevelCount>()
        .all(db)
        .await
        .map_err(db_error)?;
    let mut counts: Vec<(Level, u64)> = rows
        .into_iter()
        .filter_map(|r| Some((Level::parse(&r.level)?, u64::try_from(r.n).unwrap_or(0))))
        .collect();
    counts.sort();
    Ok(counts)
}

/// What is in force, as the import planner needs it.
pub async fn existing_units(
    db: &DatabaseConnection,
) -> Result<HashMap<RegionCode, ExistingUnit>, Error> {
    #[derive(FromQueryResult)]
    struct Row {
        code: String,
        name: String,
        parent_code: Option<String>,
        children_count: i32,
    }
    let rows = Entity::find()
        .select_only()
        .columns([
            Column::Code,
            Column::Name,
            Column::ParentCode,
            Column::ChildrenCount,
        ])
        .filter(in_force())
        .into_model::<Row>()
        .all(db)
        .await
        .map_err(db_error)?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let code = RegionCode::parse(&r.code).ok()?;
            Some((
                code,
                ExistingUnit {
                    name: r.name,
                    parent: r.parent_code.and_then(|p| RegionCode::parse(&p).ok()),
                    children_count: u32::try_from(r.children_count).unwrap_or(0),
                },
            ))
        })
        .collect())
}

/// Why a plan could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "生效日期 {valid_from} 早于 {code} 现行版本的生效日期，不能以更早的日期变更（请检查 --valid-from）"
    )]
    EarlierThanCurrent { code: String, valid_from: NaiveDate },
    #[error("写入数据库失败，已全部回滚：{0}")]
    Database(String),
}

impl From<sea_orm::DbErr> for ApplyError {
    fn from(e: sea_orm::DbErr) -> Self {
        ApplyError::Database(e.to_string())
    }
}

/// Writes a plan in one transaction with its audit record: changed units close their version in
/// force and open a new one from `valid_from` (a second change on the same day corrects that
/// day's version), new units are inserted, and child counts are brought up to date. `progress`
/// hears the number of rows written so far.
pub async fn apply(
    db: &DatabaseConnection,
    plan: &ImportPlan,
    valid_from: NaiveDate,
    audit: &AuditEntry,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(), ApplyError> {
    let txn = crate::begin_write(db).await?;
    crate::audit::append(&txn, audit).await?;
    for chunk in plan.changes.chunks(UPDATE_CHUNK) {
        let codes: Vec<&str> = chunk.iter().map(|c| c.code.as_str()).collect();
        let later = Entity::find()
            .filter(in_force())
            .filter(Column::Code.is_in(codes.clone()))
            .filter(Column::ValidFrom.gt(valid_from))
            .one(&txn)
            .await?;
        if let Some(m) = later {
            return Err(ApplyError::EarlierThanCurrent {
                code: m.code,
                valid_from,
            });
        }
        Entity::delete_many()
            .filter(in_force())
            .filter(Column::Code.is_in(codes.clone()))
            .filter(Column::ValidFrom.eq(valid_from))
            .exec(&txn)
            .await?;
        Entity::update_many()
            .col_expr(Column::ValidTo, Expr::value(valid_from))
            .filter(in_force())
            .filter(Column::Code.is_in(codes))
            .exec(&txn)
            .await?;
    }
    let mut written = 0u64;
    let rows: Vec<&Candidate> = plan.inserts.iter().chain(&plan.changes).collect();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(Entity).columns([
            Column::Code,
            Column::Name,
            Column::Level,
            Column::Kind,
            Column::ParentCode,
            Column::ChildrenCount,
            Column::ValidFrom,
        ]);
        for c in chunk {
            let children = plan.children_counts.get(&c.code).copied().unwrap_or(0);
            insert.values_panic([
                c.code.as_str().into(),
                c.name.as_str().into(),
                c.level().as_str().into(),
                c.kind.as_str().into(),
                c.parent.as_ref().map(|p| p.as_str().to_owned()).into(),
                (children as i32).into(),
                valid_from.into(),
            ]);
        }
        txn.execute(&insert).await?;
        written += chunk.len() as u64;
        progress(written);
    }
    let written_codes: std::collections::HashSet<&RegionCode> =
        rows.iter().map(|c| &c.code).collect();
    let recount: Vec<(&RegionCode, u32)> = plan
        .children_counts
        .iter()
        .filter(|(code, _)| !written_codes.contains(code))
        .map(|(code, n)| (code, *n))
        .collect();
    for chunk in recount.chunks(UPDATE_CHUNK) {
        let mut case = CaseStatement::new();
        for (code, n) in chunk {
            case = case.case(Expr::col(Column::Code).eq(code.as_str()), *n as i32);
        }
        let mut update = Query::update();
        update
            .table(Entity)
            .value(
                Column::ChildrenCount,
                case.finally(Expr::col(Column::ChildrenCount)),
            )
            .and_where(Expr::col(Column::ValidTo).is_null())
            .and_where(Expr::col(Column::Code).is_in(chunk.iter().map(|(c, _)| c.as_str())));
        txn.execute(&update).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// True when no unit has ever been stored: the signal to load the shipped tree.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, Error> {
    let any = Entity::find()
        .select_only()
        .column_as(Expr::val(1), "one")
        .into_tuple::<i32>()
        .one(db)
        .await
        .map_err(db_error)?;
    Ok(any.is_none())
}

/// Largest fan-out one request may resolve: the village-level units of a whole province.
pub const MAX_UNITS_WITHIN: u64 = 100_000;

/// The village-level units in force that `code` is or contains (a village, a township's,
/// a district's, the city's), in code order.
pub async fn villages_within(
    db: &DatabaseConnection,
    code: &RegionCode,
) -> Result<Vec<Region>, Error> {
    let mut query = Entity::find()
        .filter(in_force())
        .filter(Column::Level.eq(Level::Village.as_str()));
    query = if code.level() == Level::Village {
        query.filter(Column::Code.eq(code.as_str()))
    } else {
        let (lo, hi) = subtree_range(code);
        query
            .filter(Column::Code.gt(lo))
            .filter(Column::Code.lte(hi))
    };
    Ok(query
        .order_by(Column::Code, Order::Asc)
        .limit(MAX_UNITS_WITHIN)
        .all(db)
        .await
        .map_err(db_error)?
        .into_iter()
        .map(to_domain)
        .collect())
}
