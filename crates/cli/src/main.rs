//! The `jianfu` command: the web server and the administration commands.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use jianfu::config::Config;
use jianfu::import::{self, Event, ImportOptions, Progress};
use jianfu_domain::account::Role;
use jianfu_domain::catalog::DirectoryKind;

/// mimalloc rather than glibc's allocator: request handling allocates small, short-lived
/// buffers on many threads, where glibc's arenas showed up in profiles (bench/REPORT.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "jianfu",
    version,
    about = "村（社区）减负工作平台：服务端与管理命令",
    long_about = "村（社区）减负工作平台（jianfu）。\n\n配置按以下顺序叠加：内置默认值 ← jianfu.toml（或 --config 指定的文件）← JIANFU_* 环境变量 ← 命令行参数。"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// 配置文件（TOML）；不指定时读取当前目录下的 jianfu.toml（如存在）
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// 数据库地址：sqlite://文件、postgres://… 或 mysql://…（环境变量 JIANFU_DATABASE_URL）
    #[arg(long = "db", global = true, value_name = "URL")]
    database_url: Option<String>,
    /// 数据目录，默认 ./jianfu-data（嵌入式 SQLite 数据库存放于此）
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// 密钥文件（签名与字段加密密钥，不存入数据库），默认为数据目录下的 keys.json
    #[arg(long, global = true, value_name = "FILE")]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// 启动 Web 服务（首次启动空数据库时自动建表并载入天津市区划）
    Serve {
        /// 监听地址，默认 127.0.0.1:8080（环境变量 JIANFU_ADDR）
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
    },
    /// 创建或升级数据库结构，并在空库中载入天津市区划
    Migrate,
    /// 导入数据
    #[command(subcommand)]
    Import(ImportCommand),
    /// 导出数据
    #[command(subcommand)]
    Export(ExportCommand),
    /// 账号管理
    #[command(subcommand)]
    User(UserCommand),
    /// 接口令牌（供各部门业务系统调用接口）
    #[command(subcommand)]
    Token(TokenCommand),
    /// 演示数据
    #[command(subcommand)]
    Demo(DemoCommand),
    /// 审计日志
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 密钥管理
    #[command(subcommand)]
    Keys(KeysCommand),
    /// 证明事项
    #[command(subcommand)]
    Certificates(CertificatesCommand),
}

#[derive(Subcommand)]
enum CertificatesCommand {
    /// 逐份校验已开具证明的内容签名、状态签名、校验码和加密的身份证号（核验页不逐次验签，靠此定期复核）；发现问题时列出并以状态码 1 退出
    Verify,
}

#[derive(Subcommand)]
enum UserCommand {
    /// 新建账号；密码从标准输入读取（第一行），须至少 8 位且含三类字符
    Add {
        /// 用户名：3–32 位小写字母、数字、点、下划线或连字符
        #[arg(long)]
        username: String,
        /// 显示名称，默认同用户名
        #[arg(long)]
        name: Option<String>,
        /// 角色，可重复：civil_affairs approver department_officer township_officer village_worker inspector system_admin security_admin audit_admin
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// 所属区划代码
        #[arg(long)]
        region: String,
        /// 所属部门代码（职能部门工作人员必填）
        #[arg(long)]
        department: Option<String>,
        /// 从标准输入读取密码
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// 列出全部账号
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// 为账号生成接口令牌；令牌只显示这一次，系统只保存其哈希
    Create {
        /// 令牌所属账号（令牌的权限与该账号相同）
        #[arg(long)]
        username: String,
        /// 令牌名称，如调用方系统的名字
        #[arg(long)]
        name: String,
        /// 有效天数，默认 90 天
        #[arg(long, default_value_t = 90)]
        expires_days: i64,
    },
    /// 吊销账号的某个接口令牌，立即失效
    Revoke {
        #[arg(long)]
        username: String,
        /// 令牌名称
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum DemoCommand {
    /// 在天津市的真实单位中为每个角色创建演示账号（标记为演示；生产模式下拒绝）
    Seed {
        /// 从标准输入读取演示账号的统一密码；不指定时随机生成并显示一次
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 校验整条审计日志链及全部签名检查点；发现问题时指出第一处断裂的序号，并以状态码 1 退出
    Verify,
    /// 对当前链头签名，生成检查点（服务运行时每 10 分钟自动进行）
    Checkpoint,
    /// 清理早于指定日期的审计记录（须已保存满 180 天；清理到其中最后一个签名检查点为止，清理本身记入审计）
    Purge {
        /// 清理此日期（北京时间 0 时）之前产生的记录，例如 2026-01-01
        #[arg(long, value_name = "YYYY-MM-DD")]
        before: NaiveDate,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// 生成新的签名密钥；旧公钥保留在密钥文件中，用于验证以前的签名
    Rotate {
        /// 签名算法：sm2（默认）或 ed25519
        #[arg(long, value_name = "ALG")]
        algorithm: Option<String>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// 导入行政区划：CSV（UTF-8 或 GB18030，可为 .csv.gz）、Excel（.xlsx），或整个文件夹（如国家统计局分级文件 china-*-2023.csv.gz）
    Regions {
        /// 文件或文件夹
        path: PathBuf,
        /// 跳过有误的行，导入其余各行（默认：任何一行有误则全部不导入）
        #[arg(long)]
        skip_invalid: bool,
        /// 新增和变更单位的生效日期（YYYY-MM-DD），默认今天
        #[arg(long, value_name = "DATE")]
        valid_from: Option<NaiveDate>,
    },
    /// 将指导目录文件导入为新的调整草稿（不直接改动已发布版本）：参考清单格式或本平台导入模板，Excel（.xlsx/.xls）或 CSV/TSV（UTF-8 或 GB18030）；任何一行有误则全部不导入
    Directory {
        /// 目录：duty assistance mechanism_sign certificate_may_issue certificate_must_not_issue public_service prohibited_task
        #[arg(long, value_parser = parse_kind)]
        kind: DirectoryKind,
        /// 文件
        path: PathBuf,
    },
    /// 导入一个地区的机制牌子规则（替换该地区现有规则）：列为 标牌名称（XX 代表本单位名称）、位置（外部/内部）、适用（村/社区/村和社区）、备注，CSV 或 Excel；任何一行有误则全部不导入
    SignRules {
        /// 地区的区划代码（市或区）
        #[arg(long, value_name = "CODE")]
        region: String,
        /// 村（居）民活动区域占总建筑面积的最低百分比，默认沿用该地区现有规则（无则 60）
        #[arg(long, value_name = "PERCENT")]
        min_activity_percent: Option<u8>,
        /// 文件
        path: PathBuf,
    },
    /// 导入节假日安排（国务院办公厅每年发布的放假通知）：列为 日期、类型（休/班）、名称，CSV 或 Excel；文件中出现的年份整年替换，任何一行有误则全部不导入
    Calendar {
        /// 文件
        path: PathBuf,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// 导出已发布的指导目录版本（与导入模板同列，可修改后再导入）
    Directory {
        /// 目录：duty assistance mechanism_sign certificate_may_issue certificate_must_not_issue public_service prohibited_task
        #[arg(long, value_parser = parse_kind)]
        kind: DirectoryKind,
        /// 版本号，默认最新版本
        #[arg(long)]
        version: Option<u32>,
        /// 格式：xlsx、csv（UTF-8，带 BOM，Excel 可直接打开）或 pdf（A4 横向，可直接打印）
        #[arg(long, value_parser = ["xlsx", "csv", "pdf"], default_value = "xlsx")]
        format: String,
        /// 输出文件，默认当前目录下的“目录名-第N版.格式”
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn parse_kind(raw: &str) -> Result<DirectoryKind, String> {
    DirectoryKind::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = DirectoryKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("目录“{raw}”不存在，应为：{}", known.join("、"))
    })
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("JIANFU_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut config = Config::load(cli.global.config.as_deref())?;
    if let Some(url) = cli.global.database_url {
        config.database_url = url;
    }
    if let Some(dir) = cli.global.data_dir {
        config.data_dir = dir;
    }
    if let Some(file) = cli.global.key_file {
        config.key_file = file;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { addr } => {
                if let Some(addr) = addr {
                    config.addr = addr;
                }
                serve(config).await
            }
            Command::Migrate => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let keys = load_keys(&config)?;
                show_first_administrators(&db).await?;
                jianfu_store::audit::checkpoint(&db, keys.signer()).await?;
                println!("数据库结构已是最新。");
                Ok(())
            }
            Command::User(command) => user(&config, command).await,
            Command::Demo(DemoCommand::Seed { password_stdin }) => {
                if config.production {
                    anyhow::bail!("生产模式（production = true）下不能创建演示账号");
                }
                let password = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                } else {
                    jianfu_store::auth::one_time_password()
                };
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let created =
                    jianfu::bootstrap::demo_accounts(&db, &password, &cli_actor()).await?;
                jianfu_store::audit::chain(&db).await?;
                if created.is_empty() {
                    println!("演示账号已存在，未作改动。");
                } else {
                    println!("已创建演示账号：{}", created.join("、"));
                    if !password_stdin {
                        println!("统一密码（只显示这一次）：{password}");
                    }
                }
                Ok(())
            }
            Command::Token(TokenCommand::Create {
                username,
                name,
                expires_days,
            }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let expires =
                    chrono::Utc::now() + chrono::Duration::days(expires_days.clamp(1, 3650));
                let audit = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "system".into(),
                    source_ip: "local".into(),
                    event: "token.create".into(),
                    object: format!("{username}/{name}"),
                    result: "ok".into(),
                    before: None,
                    after: Some(format!(
                        "{{\"expires\":\"{}\"}}",
                        expires.format("%Y-%m-%d")
                    )),
                };
                let token =
                    jianfu_store::auth::create_token(&db, &username, &name, Some(expires), &audit)
                        .await?;
                jianfu_store::audit::chain(&db).await?;
                match token {
                    Some(token) => {
                        println!("{token}");
                        eprintln!(
                            "令牌有效期至 {}（仅显示这一次，请妥善保存）。",
                            expires.format("%Y-%m-%d")
                        );
                        Ok(())
                    }
                    None => anyhow::bail!("账号“{username}”不存在"),
                }
            }
            Command::Token(TokenCommand::Revoke { username, name }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let audit = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "system".into(),
                    source_ip: "local".into(),
                    event: "token.revoke".into(),
                    object: format!("{username}/{name}"),
                    result: "ok".into(),
                    before: None,
                    after: None,
                };
                let revoked =
                    jianfu_store::auth::revoke_token(&db, &username, &name, &audit).await?;
                jianfu_store::audit::chain(&db).await?;
                if revoked {
                    println!("已吊销 {username} 的令牌“{name}”。");
                    Ok(())
                } else {
                    anyhow::bail!("没有找到 {username} 名为“{name}”的有效令牌")
                }
            }
            Command::Audit(AuditCommand::Verify) => audit_verify(&config).await,
            Command::Certificates(CertificatesCommand::Verify) => certificates_verify(&config).await,
            Command::Audit(AuditCommand::Purge { before }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let keys = load_keys(&config)?;
                // A checkpoint first, so the records up to now can serve as the new start.
                jianfu_store::audit::checkpoint(&db, keys.signer()).await?;
                let at = before
                    .and_hms_opt(0, 0, 0)
                    .and_then(|t| t.and_local_timezone(beijing()).single())
                    .context("日期无效")?
                    .with_timezone(&chrono::Utc);
                let entry = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "system".into(),
                    source_ip: "local".into(),
                    event: "audit.purge".into(),
                    object: format!("before {before}"),
                    result: "ok".into(),
                    before: None,
                    after: None,
                };
                let report = jianfu_store::audit::purge(&db, at, entry).await?;
                jianfu_store::audit::chain(&db).await?;
                if report.removed == 0 {
                    println!("{before} 之前没有可清理的记录（清理只到已签名的检查点为止）。");
                } else {
                    println!(
                        "已清理 {} 条审计记录（至第 {} 条）；审计链从第 {} 条起继续可校验。",
                        report.removed,
                        report.through_seq,
                        report.through_seq + 1
                    );
                }
                Ok(())
            }
            Command::Audit(AuditCommand::Checkpoint) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let keys = load_keys(&config)?;
                match jianfu_store::audit::checkpoint(&db, keys.signer()).await? {
                    Some(seq) => println!(
                        "已对第 {seq} 条审计记录处的链头签名（密钥 {}）。",
                        keys.signer().key_id()
                    ),
                    None => println!("链头已签名，无需新的检查点。"),
                }
                Ok(())
            }
            Command::Keys(KeysCommand::Rotate { algorithm }) => {
                let algorithm = match algorithm.as_deref() {
                    None => None,
                    Some("sm2") => Some(jianfu_seal::Algorithm::Sm2),
                    Some("ed25519") => Some(jianfu_seal::Algorithm::Ed25519),
                    Some(other) => anyhow::bail!("不支持的签名算法“{other}”：应为 sm2 或 ed25519"),
                };
                let id = jianfu_seal::KeyRing::rotate(&config.key_file(), algorithm)?;
                println!("已生成新的签名密钥 {id}；旧公钥已保留，用于验证以前的签名。");
                Ok(())
            }
            Command::Import(ImportCommand::Directory { kind, path }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let audit = jianfu::bootstrap::system_entry("adjustment.import", "", None);
                let audit = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "cli".into(),
                    ..audit
                };
                match jianfu::directory::import_file(&db, kind, &path, &audit).await {
                    Ok((id, changes)) => {
                        println!(
                            "已导入为调整草稿 {id}（{}，{changes} 项调整），请在平台上核对后提交审核。",
                            kind.label()
                        );
                        Ok(())
                    }
                    Err(jianfu::directory::ImportError::Rows(errors)) => {
                        for e in &errors {
                            eprintln!("{e}");
                        }
                        anyhow::bail!("文件有 {} 处错误，未导入任何内容", errors.len())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Command::Import(ImportCommand::SignRules {
                region,
                min_activity_percent,
                path,
            }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let code = jianfu_domain::RegionCode::parse(&region)?;
                let unit = jianfu_store::region::require(&db, &code).await?;
                if !matches!(
                    code.level(),
                    jianfu_domain::Level::Province | jianfu_domain::Level::County
                ) {
                    anyhow::bail!("{}不是市或区：机制牌子规则由市、区制定", unit.name);
                }
                let table = jianfu_docs::read_table(&path)?;
                let rules = match jianfu_docs::sign_rules::sign_rules(&table) {
                    Ok(rules) => rules,
                    Err(errors) => {
                        for e in &errors {
                            eprintln!("{e}");
                        }
                        anyhow::bail!("文件有 {} 处错误，未导入任何内容", errors.len())
                    }
                };
                let current = jianfu_store::signage::rule_set_for(&db, &code).await?;
                let rule_set = jianfu_domain::signage::RuleSet {
                    rules,
                    min_activity_percent: min_activity_percent.unwrap_or_else(|| {
                        current.map_or(
                            jianfu_domain::signage::TIANJIN_MIN_ACTIVITY_PERCENT,
                            |c| c.rules.min_activity_percent,
                        )
                    }),
                };
                if let Err(e) = rule_set.validate() {
                    anyhow::bail!("{e}，未导入任何内容");
                }
                let audit = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "cli".into(),
                    ..jianfu::bootstrap::system_entry("signage.rules", code.as_str(), None)
                };
                jianfu_store::signage::set_rule_set(&db, &code, &rule_set, &cli_actor(), &audit)
                    .await?;
                println!(
                    "已导入{}的机制牌子规则 {} 条（活动区域不低于 {}%）",
                    unit.name,
                    rule_set.rules.len(),
                    rule_set.min_activity_percent
                );
                Ok(())
            }
            Command::Import(ImportCommand::Calendar { path }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let table = jianfu_docs::read_table(&path)?;
                let days = match jianfu_docs::calendar::official_days(&table) {
                    Ok(days) => days,
                    Err(errors) => {
                        for e in &errors {
                            eprintln!("{e}");
                        }
                        anyhow::bail!("文件有 {} 处错误，未导入任何内容", errors.len())
                    }
                };
                let audit = jianfu_domain::audit::AuditEntry {
                    actor: cli_actor(),
                    role: "cli".into(),
                    ..jianfu::bootstrap::system_entry("calendar.import", "calendar", None)
                };
                let years = jianfu_store::calendar::import(&db, &days, &audit).await?;
                let years: Vec<String> = years.iter().map(ToString::to_string).collect();
                println!(
                    "已导入 {} 年的节假日安排（{} 天）",
                    years.join("、"),
                    days.len()
                );
                Ok(())
            }
            Command::Export(ExportCommand::Directory {
                kind,
                version,
                format,
                output,
            }) => {
                let db = jianfu::bootstrap::open(&config.database_url()).await?;
                let found = match version {
                    Some(n) => jianfu_store::catalog::version(&db, kind, n).await?,
                    None => jianfu_store::catalog::latest(&db, kind).await?,
                };
                let Some(found) = found else {
                    anyhow::bail!("{}尚无此版本", kind.label());
                };
                let bytes = match format.as_str() {
                    "csv" => jianfu_docs::directory::version_csv(&found),
                    "pdf" => jianfu_print::directory_pdf(
                        &found,
                        jianfu_domain::beijing_date(chrono::Utc::now()),
                    )?,
                    _ => jianfu_docs::directory::version_xlsx(&found)?,
                };
                let output = output.unwrap_or_else(|| {
                    PathBuf::from(format!("{}-第{}版.{format}", kind.label(), found.number))
                });
                std::fs::write(&output, bytes)
                    .with_context(|| format!("无法写入 {}", output.display()))?;
                println!(
                    "已导出{}第 {} 版（{} 项）到 {}",
                    kind.label(),
                    found.number,
                    found.items.len(),
                    output.display()
                );
                Ok(())
            }
            Command::Import(ImportCommand::Regions {
                path,
                skip_invalid,
                valid_from,
            }) => {
                let options = ImportOptions {
                    skip_invalid,
                    valid_from: valid_from.unwrap_or_else(|| chrono::Local::now().date_naive()),
                };
                import_regions(&config, &path, &options).await
            }
        }
    })
}

/// Creates the three administrators on a database nobody administers yet and shows their
/// one-time passwords — this once only.
async fn show_first_administrators(db: &jianfu_store::DatabaseConnection) -> anyhow::Result<()> {
    let created = jianfu::bootstrap::first_administrators(db).await?;
    if !created.is_empty() {
        println!(
            "首次启动：已创建三员账号。以下一次性密码只显示这一次，请立即妥善交给三位管理员，首次登录须修改："
        );
        for (username, password) in created {
            println!("  {username}\t{password}");
        }
    }
    Ok(())
}

fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

async fn user(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let db = jianfu::bootstrap::open(&config.database_url()).await?;
    match command {
        UserCommand::Add {
            username,
            name,
            roles,
            region,
            department,
            password_stdin: _,
        } => {
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("角色“{r}”不存在")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let new = jianfu_store::account::NewAccount {
                display_name: name.unwrap_or_else(|| username.clone()),
                username,
                region: jianfu_domain::RegionCode::parse(&region)?,
                department,
                roles,
                is_demo: false,
                must_change_password: true,
            };
            let audit = jianfu_domain::audit::AuditEntry {
                actor: cli_actor(),
                role: "system".into(),
                source_ip: "local".into(),
                event: "account.create".into(),
                object: new.username.clone(),
                result: "ok".into(),
                before: None,
                after: Some(format!(
                    "{{\"region\":\"{}\",\"roles\":[{}]}}",
                    new.region,
                    new.roles
                        .iter()
                        .map(|r| format!("\"{}\"", r.as_str()))
                        .collect::<Vec<_>>()
                        .join(",")
                )),
            };
            jianfu_store::account::create(&db, &new, password, &audit).await?;
            jianfu_store::audit::chain(&db).await?;
            println!("已创建账号 {}（首次登录须修改密码）。", new.username);
        }
        UserCommand::List => {
            println!("用户名\t姓名\t区划\t部门\t角色\t状态");
            for a in jianfu_store::account::list(&db).await? {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.label()).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    a.username,
                    a.display_name,
                    a.region,
                    a.department.as_deref().unwrap_or("-"),
                    roles.join("、"),
                    if a.disabled {
                        "停用"
                    } else if a.is_demo {
                        "演示"
                    } else {
                        "正常"
                    }
                );
            }
        }
    }
    Ok(())
}

/// Runs the cryptographic self-tests, then opens (or creates) the key file.
fn load_keys(config: &Config) -> anyhow::Result<jianfu_seal::KeyRing> {
    jianfu_seal::self_test()?;
    Ok(jianfu_seal::KeyRing::load_or_create(&config.key_file())?)
}

async fn audit_verify(config: &Config) -> anyhow::Result<()> {
    let db = jianfu::bootstrap::open(&config.database_url()).await?;
    let keys = load_keys(config)?;
    let started = Instant::now();
    jianfu_store::audit::chain(&db).await?;
    let report = jianfu_store::audit::verify(&db, |id| keys.public_key(id).cloned()).await?;
    if report.first_seq > 1 {
        println!(
            "第 {} 条之前的记录已按保存期限清理，校验从签名检查点处开始。",
            report.first_seq
        );
    }
    println!(
        "审计日志完整：共 {} 条记录，{} 个签名检查点（最后一个在第 {} 条），用时 {:.1} 秒。",
        report.records,
        report.checkpoints,
        report
            .last_checkpoint
            .map_or("-".to_owned(), |s| s.to_string()),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn certificates_verify(config: &Config) -> anyhow::Result<()> {
    let db = jianfu::bootstrap::open(&config.database_url()).await?;
    let keys = load_keys(config)?;
    let started = Instant::now();
    let (mut checked, mut problems, mut after) = (0u64, Vec::new(), 0i64);
    loop {
        let batch = jianfu_store::certificate::after(&db, after, 2000).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for c in &batch {
            checked += 1;
            for p in jianfu_store::certificate::check_stored(&keys, c) {
                problems.push(format!("{}：{p}", c.cert_no));
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    if problems.is_empty() {
        println!("已校验 {checked} 份证明，均完好，用时 {secs:.1} 秒。");
        return Ok(());
    }
    for p in problems.iter().take(50) {
        println!("{p}");
    }
    anyhow::bail!(
        "已校验 {checked} 份证明，发现 {} 处问题（见上，最多列出 50 处）",
        problems.len()
    )
}

/// How often a running server signs the audit chain head.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(600);
/// How often a running server sends departments' webhook deliveries that are due.
const SEND_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How often a running server looks for admission steps past their deadline.
const REMIND_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often a running server chains pending audit records: often enough that a record is
/// protected by the chain within a fraction of a second, rarely enough to chain them in batches.
const CHAIN_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

fn beijing() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// Reminds the next actors of every admission step past its working-day deadline (once per
/// step, whichever node sweeps first).
async fn remind_overdue(db: &jianfu_store::DatabaseConnection) -> Result<(), jianfu_domain::Error> {
    let calendar = jianfu_store::calendar::load(db).await?;
    let today = jianfu_domain::beijing_date(chrono::Utc::now());
    let overdue = jianfu_store::admission::remind_overdue(db, today, &calendar).await?;
    if overdue > 0 {
        tracing::info!(overdue, "准入申请办理超时");
    }
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let url = config.database_url();
    let db = jianfu::bootstrap::open(&url).await?;
    let keys = std::sync::Arc::new(load_keys(&config)?);
    show_first_administrators(&db).await?;
    let chaining = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHAIN_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = jianfu_store::audit::chain(&chaining).await {
                tracing::warn!("审计记录入链失败：{e}");
            }
        }
    });
    let signing = (db.clone(), keys.clone());
    tokio::spawn(async move {
        let (db, keys) = signing;
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = jianfu_store::audit::checkpoint(&db, keys.signer()).await {
                tracing::warn!("审计检查点签名失败：{e}");
            }
        }
    });
    let reminding = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REMIND_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = remind_overdue(&reminding).await {
                tracing::warn!("准入办理超时提醒失败：{e}");
            }
        }
    });
    let sending = (db.clone(), keys.clone());
    tokio::spawn(async move {
        let (db, keys) = sending;
        let mut tick = tokio::time::interval(SEND_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = jianfu::webhook::deliver_due(&db, keys.field_cipher()).await {
                tracing::warn!("webhook 推送出错：{e}");
            }
        }
    });
    let app = jianfu_web::router(jianfu_web::AppState {
        db: db.clone(),
        keys: keys.clone(),
        production: config.production,
        catalog: Default::default(),
        certificates: std::sync::Arc::new(jianfu_web::certificate::Desk::new(
            &config.public_url(),
            config.verifications_per_minute,
        )),
        regions: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("无法监听 {}", config.addr))?;
    tracing::info!(
        addr = %config.addr,
        database = %jianfu_store::db::redact(&url),
        ready_ms = started.elapsed().as_millis() as u64,
        "jianfu 已就绪：http://{}",
        config.addr
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    jianfu_store::audit::chain(&db).await?;
    tracing::info!("jianfu 已停止");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}

async fn import_regions(
    config: &Config,
    path: &std::path::Path,
    options: &ImportOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let db = jianfu::bootstrap::open(&config.database_url()).await?;
    let keys = load_keys(config)?;
    let terminal = std::io::stderr().is_terminal();
    let bar = ProgressBar::hidden();
    let mut last_tenth = 0;
    let mut total = 0;
    let mut progress = Progress::new(|event| match event {
        Event::Read { file, rows } => eprintln!("已读取 {file}：{rows} 行"),
        Event::Writing { total: t } => {
            total = t;
            eprintln!("校验通过，开始写入 {t} 行");
            if terminal {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                bar.set_length(t);
                bar.set_style(
                    ProgressStyle::with_template("{bar:40} {pos}/{len} 行 {percent}% 剩余 {eta}")
                        .expect("valid template"),
                );
            }
        }
        Event::Written { rows } => {
            if terminal {
                bar.set_position(rows);
            } else if total > 0 && rows * 10 / total > last_tenth {
                last_tenth = rows * 10 / total;
                eprintln!("已写入 {rows}/{total} 行（{}%）", rows * 100 / total);
            }
        }
    });
    let audit = jianfu_domain::audit::AuditEntry {
        actor: cli_actor(),
        role: "system".into(),
        source_ip: "local".into(),
        event: "region.import".into(),
        object: path.display().to_string(),
        result: "ok".into(),
        before: None,
        after: None,
    };
    let report = import::import_path(&db, path, options, &audit, &mut progress).await?;
    jianfu_store::audit::checkpoint(&db, keys.signer()).await?;
    bar.finish_and_clear();
    for p in &report.problems {
        println!("{p}");
    }
    let seconds = started.elapsed().as_secs_f64();
    if !report.written {
        anyhow::bail!(
            "共 {} 行有误，未导入任何数据（可修正后重新导入，或加 --skip-invalid 跳过有误的行）",
            report.problems.len()
        );
    }
    println!(
        "导入完成：读取 {} 行，新增 {}，变更 {}，未变 {}，重复相同行 {}，跳过 {}；用时 {seconds:.1} 秒",
        report.rows,
        report.inserted,
        report.changed,
        report.unchanged,
        report.repeated,
        report.problems.len()
    );
    Ok(())
}
