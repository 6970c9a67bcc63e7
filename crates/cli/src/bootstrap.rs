//! Opening the database: connect, migrate, and on the first start of an empty database load the
//! real Tianjin tree, the city-level departments and the directories shipped in `data/`.

use chrono::NaiveDate;
use jianfu_docs::directory::{self, ImportDefaults};
use jianfu_docs::table::table_from_bytes;
use jianfu_domain::account::Role;
use jianfu_domain::audit::AuditEntry;
use jianfu_domain::catalog::adjustment::Change;
use jianfu_domain::catalog::{DirectoryItem, DirectoryKind, ServiceGuide};
use jianfu_domain::{Department, RegionCode};
use jianfu_store::account::{self, NewAccount};
use jianfu_store::{DatabaseConnection, catalog, department, region};

use crate::import::{self, ImportOptions, Progress};

/// An audit entry for what the platform does by itself (first-start loading).
pub fn system_entry(event: &str, object: &str, after: Option<String>) -> AuditEntry {
    AuditEntry {
        actor: "system".into(),
        role: "system".into(),
        source_ip: "local".into(),
        event: event.into(),
        object: object.into(),
        result: "ok".into(),
        before: None,
        after,
    }
}

/// NBS 2023 statistical division codes, cut-off 2023-06-30 (see data/README.md).
pub const TIANJIN_REGIONS: &[u8] = include_bytes!("../../../data/regions/tianjin-2023.csv");
pub const TIANJIN_DEPARTMENTS: &[u8] = include_bytes!("../../../data/departments/tianjin-city.csv");
/// Demo departments of 和平区, so a district's own admissions can be shown and tested.
pub const HEPING_DEPARTMENTS: &[u8] =
    include_bytes!("../../../data/departments/tianjin-heping-demo.csv");
/// The State Council's holiday notices 2004–2026 (see data/README.md).
pub const OFFICIAL_DAYS: &[u8] = include_bytes!("../../../data/calendar/cn-official-days.csv");

/// The day the shipped tree is valid from: the NBS 2023 cut-off.
pub fn tianjin_valid_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 6, 30).expect("valid date")
}

/// Connects, migrates and seeds an empty database.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = jianfu_store::connect(url).await?;
    jianfu_store::migrate(&db).await?;
    seed_if_empty(&db).await?;
    Ok(db)
}

/// Loads Tianjin into an empty database. When several app nodes start on one new database at
/// once, one of them wins; the others find the tree already there and go on.
pub async fn seed_if_empty(db: &DatabaseConnection) -> anyhow::Result<()> {
    if region::is_empty(db).await? {
        tracing::info!("空数据库：载入天津市行政区划（国家统计局 2023 年统计用区划代码）");
        let options = ImportOptions {
            skip_invalid: false,
            valid_from: tianjin_valid_from(),
        };
        let table = table_from_bytes("tianjin-2023.csv", TIANJIN_REGIONS.to_vec())?;
        let files = vec![("tianjin-2023.csv".to_owned(), table)];
        let audit = system_entry("region.seed", "tianjin-2023.csv", None);
        let outcome =
            import::import_tables(db, files, &options, &audit, &mut Progress::silent()).await;
        match outcome {
            Ok(report) if report.written => {}
            Ok(report) => anyhow::bail!("内置天津区划数据有误：{:?}", report.problems.first()),
            Err(e) if !region::is_empty(db).await? => {
                tracing::info!("另一节点已载入区划：{e}");
            }
            Err(e) => return Err(e),
        }
    }
    seed_directories(db).await?;
    if jianfu_store::calendar::count(db).await? == 0 {
        let table = table_from_bytes("cn-official-days.csv", OFFICIAL_DAYS.to_vec())?;
        let days = jianfu_docs::calendar::official_days(&table)
            .map_err(|e| anyhow::anyhow!("内置节假日数据有误：{}", e[0]))?;
        let audit = system_entry("calendar.seed", "calendar", None);
        jianfu_store::calendar::import(db, &days, &audit).await?;
    }
    if department::count(db).await? == 0 {
        let mut departments = shipped_departments("tianjin-city.csv", TIANJIN_DEPARTMENTS)?;
        departments.extend(shipped_departments(
            "tianjin-heping-demo.csv",
            HEPING_DEPARTMENTS,
        )?);
        let audit = system_entry(
            "department.seed",
            "tianjin-city.csv,tianjin-heping-demo.csv",
            Some(format!("{{\"departments\":{}}}", departments.len())),
        );
        department::insert_all(db, &departments, tianjin_valid_from(), &audit).await?;
    }
    Ok(())
}

/// A directory shipped in `data/directories`, published as version 1 where none exists.
pub struct ShippedDirectory {
    pub kind: DirectoryKind,
    pub file: &'static str,
    bytes: &'static [u8],
    /// The day the list was issued (real lists) or the plan's day (demo lists).
    pub effective_from: NaiveDate,
    pub is_demo: bool,
}

macro_rules! shipped {
    ($kind:ident, $file:literal, $y:literal - $m:literal - $d:literal, $demo:literal) => {
        ShippedDirectory {
            kind: DirectoryKind::$kind,
            file: $file,
            bytes: include_bytes!(concat!("../../../data/directories/", $file)),
            effective_from: match NaiveDate::from_ymd_opt($y, $m, $d) {
                Some(day) => day,
                None => panic!("shipped directory day"),
            },
            is_demo: $demo,
        }
    };
}

/// Real lists where one is published (the national must-not-issue list, Tianjin's 2019
/// may-issue list); demo lists, marked on every item, for the rest (see data/directories).
pub fn shipped_directories() -> [ShippedDirectory; 7] {
    [
        shipped!(Duty, "demo_tianjin_duties.tsv", 2023 - 2 - 6, true),
        shipped!(
            Assistance,
            "demo_tianjin_assistance.tsv",
            2023 - 2 - 6,
            true
        ),
        shipped!(
            MechanismSign,
            "demo_tianjin_mechanism_signs.tsv",
            2023 - 2 - 6,
            true
        ),
        shipped!(
            CertificateMayIssue,
            "tianjin2019_rc_certificates_may_issue.tsv",
            2019 - 9 - 1,
            false
        ),
        shipped!(
            CertificateMustNotIssue,
            "national_mca2020_not_issue_certificates_batch1.tsv",
            2020 - 4 - 1,
            false
        ),
        shipped!(
            PublicService,
            "demo_public_services.tsv",
            2023 - 2 - 6,
            true
        ),
        shipped!(
            ProhibitedTask,
            "demo_prohibited_tasks.tsv",
            2023 - 2 - 6,
            true
        ),
    ]
}

impl ShippedDirectory {
    /// The items of the shipped file.
    pub fn items(&self) -> anyhow::Result<Vec<DirectoryItem>> {
        let table = table_from_bytes(self.file, self.bytes.to_vec())?;
        let defaults = ImportDefaults {
            valid_from: self.effective_from,
            source: self.file.to_owned(),
            is_demo: self.is_demo,
        };
        let fail = |errors: Vec<directory::RowError>| {
            anyhow::anyhow!("内置目录文件 {} 有误：{}", self.file, errors[0])
        };
        let rows = directory::directory_rows(&table, self.kind, &defaults).map_err(fail)?;
        let changes = directory::changes(rows, &[]).map_err(fail)?;
        let mut items: Vec<DirectoryItem> = changes
            .into_iter()
            .filter_map(|(c, _)| match c {
                Change::Add(item) => Some(item),
                _ => None,
            })
            .collect();
        if self.kind.is_certificate() {
            with_guides(self.kind, &mut items)?;
        }
        Ok(items)
    }
}

/// Service guides and refusal guidance for the shipped certificate lists, by item name: the
/// published lists name the certificates only (see data/directories/README.md).
const CERTIFICATE_GUIDES: &str = include_str!("../../../data/directories/certificate_guides.tsv");

fn with_guides(kind: DirectoryKind, items: &mut [DirectoryItem]) -> anyhow::Result<()> {
    for (n, line) in CERTIFICATE_GUIDES.lines().enumerate().skip(1) {
        let cells: Vec<String> = line.split('\t').map(|c| c.replace("\\n", "\n")).collect();
        let [name, materials, conditions, steps, limit, template, refusal] = cells.as_slice()
        else {
            anyhow::bail!("certificate_guides.tsv 第 {} 行应有 7 列", n + 1);
        };
        let Some(item) = items.iter_mut().find(|i| &i.name == name) else {
            continue;
        };
        if kind == DirectoryKind::CertificateMayIssue {
            item.guide = Some(ServiceGuide {
                materials: materials.clone(),
                conditions: conditions.clone(),
                steps: steps.clone(),
                time_limit_days: limit.parse().ok(),
                demanding_agency: String::new(),
                template: template.clone(),
            });
        } else if !refusal.is_empty() {
            item.refusal_guidance = Some(refusal.clone());
        }
    }
    Ok(())
}

/// Publishes version 1 of every shipped directory that has none. Another node starting at the
/// same moment may publish it first; then this one finds it there.
async fn seed_directories(db: &DatabaseConnection) -> anyhow::Result<()> {
    for shipped in shipped_directories() {
        let items = shipped.items()?;
        let audit = system_entry(
            "catalog.seed",
            &format!("directory/{}", shipped.kind.as_str()),
            Some(format!(
                "{{\"file\":\"{}\",\"items\":{}}}",
                shipped.file,
                items.len()
            )),
        );
        let published =
            catalog::publish_first(db, shipped.kind, &items, shipped.effective_from, &audit).await;
        if let Err(e) = published
            && catalog::versions(db, shipped.kind).await?.is_empty()
        {
            return Err(e.into());
        }
    }
    Ok(())
}

fn shipped_departments(file: &str, bytes: &[u8]) -> anyhow::Result<Vec<Department>> {
    let table = table_from_bytes(file, bytes.to_vec())?;
    let col = |name: &str| {
        table
            .column(&[name])
            .ok_or_else(|| anyhow::anyhow!("内置机构表缺少 {name} 列"))
    };
    let (code, name, full, category, region_code, demo, source) = (
        col("code")?,
        col("name")?,
        col("full_name")?,
        col("category")?,
        col("region_code")?,
        col("is_demo")?,
        col("source")?,
    );
    table
        .rows
        .iter()
        .map(|(_, c)| {
            Ok(Department {
                code: c[code].clone(),
                name: c[name].clone(),
                full_name: c[full].clone(),
                category: c[category].clone(),
                region_code: RegionCode::parse(&c[region_code])?,
                is_demo: c[demo] == "true",
                source: c[source].clone(),
            })
        })
        .collect()
}

/// The three administrators created on the first start, with their one-time passwords.
const FIRST_ADMINISTRATORS: [(&str, &str, Role); 3] = [
    ("sysadmin", "系统管理员", Role::SystemAdmin),
    ("secadmin", "安全管理员", Role::SecurityAdmin),
    ("auditadmin", "审计管理员", Role::AuditAdmin),
];

/// On a database nobody administers yet, creates the system, security and audit administrators
/// (三员) at the Tianjin city level and returns their one-time passwords, to be shown once.
pub async fn first_administrators(
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<(String, String)>> {
    if account::anyone_holds(db, Role::SystemAdmin).await? {
        return Ok(Vec::new());
    }
    let mut created = Vec::new();
    for (username, name, role) in FIRST_ADMINISTRATORS {
        let password = jianfu_store::auth::one_time_password();
        let new = NewAccount {
            username: username.into(),
            display_name: name.into(),
            region: RegionCode::parse("12")?,
            department: None,
            roles: vec![role],
            is_demo: false,
            must_change_password: true,
        };
        let audit = system_entry(
            "account.create",
            username,
            Some(format!("{{\"role\":\"{}\"}}", role.as_str())),
        );
        account::create(db, &new, &password, &audit).await?;
        created.push((username.to_owned(), password));
    }
    Ok(created)
}

/// Demo accounts, one or more per role, in real Tianjin units: the city, 和平区 with one of its
/// subdistricts and communities, and 蓟州区 with a town and a village.
pub const DEMO_ACCOUNTS: [(&str, &str, Role, &str, Option<&str>); 13] = [
    ("demo.mz", "市民政局演示", Role::CivilAffairs, "12", None),
    ("demo.sp", "市委市政府审批演示", Role::Approver, "12", None),
    (
        "demo.bm",
        "市民政局业务处室演示",
        Role::DepartmentOfficer,
        "12",
        Some("120000000000-018"),
    ),
    (
        "demo.hp.mz",
        "和平区民政局演示",
        Role::CivilAffairs,
        "120101",
        None,
    ),
    (
        "demo.hp.mz2",
        "和平区民政局审核演示",
        Role::CivilAffairs,
        "120101",
        None,
    ),
    (
        "demo.jd",
        "劝业场街道演示",
        Role::TownshipOfficer,
        "120101001",
        None,
    ),
    (
        "demo.sq",
        "花园路社区演示",
        Role::VillageWorker,
        "120101001001",
        None,
    ),
    (
        "demo.jz.zhen",
        "蓟州区渔阳镇演示",
        Role::TownshipOfficer,
        "120119100",
        None,
    ),
    (
        "demo.jz.cun",
        "蓟州区东北隅村演示",
        Role::VillageWorker,
        "120119100201",
        None,
    ),
    (
        "demo.hp.jy",
        "和平区教育局演示",
        Role::DepartmentOfficer,
        "120101",
        Some("120101000000-004"),
    ),
    (
        "demo.hp.wj",
        "和平区卫生健康委演示",
        Role::DepartmentOfficer,
        "120101",
        Some("120101000000-007"),
    ),
    ("demo.jc", "联合检查组演示", Role::Inspector, "12", None),
    (
        "demo.sp.hp",
        "和平区审批演示",
        Role::Approver,
        "120101",
        None,
    ),
];

/// Creates the demo accounts that do not exist yet, all with `password`; returns their names.
pub async fn demo_accounts(
    db: &DatabaseConnection,
    password: &str,
    actor: &str,
) -> anyhow::Result<Vec<String>> {
    let existing: Vec<String> = account::list(db)
        .await?
        .into_iter()
        .map(|a| a.username)
        .collect();
    let mut created = Vec::new();
    for (username, name, role, region, department) in DEMO_ACCOUNTS {
        if existing.iter().any(|e| e == username) {
            continue;
        }
        let new = NewAccount {
            username: username.into(),
            display_name: name.into(),
            region: RegionCode::parse(region)?,
            department: department.map(Into::into),
            roles: vec![role],
            is_demo: true,
            must_change_password: false,
        };
        let audit = AuditEntry {
            actor: actor.into(),
            ..system_entry("account.create_demo", username, None)
        };
        account::create(db, &new, password, &audit).await?;
        created.push(username.to_owned());
    }
    Ok(created)
}
