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
                jianfu::bootstrap::open(&config.database_url()).await?;
                println!("数据库结构已是最新。");
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

async fn serve(config: Config) -> anyhow::Result<()> {
    let started = Instant::now();
    let url = config.database_url();
    let db = jianfu::bootstrap::open(&url).await?;
    let app = jianfu_web::router(jianfu_web::AppState { db });
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
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
    let report = import::import_path(&db, path, options, &mut progress).await?;
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
