//! kill -9 while dispatches fan out to the whole city: the `jianfu` server is killed at a
//! random moment of a stream of dispatches, 20 times, then started again. Every dispatch it
//! acknowledged is there with all its deliveries, no dispatch is half delivered, a retried
//! idempotency key sends once, every dispatch has its audit record, and the chain verifies.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jianfu_store::Backend;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{TestDb, backends, temp_dir};

const CYCLES: usize = 20;
/// Clients sending at once, each one dispatch after another.
const CLIENTS: usize = 2;

struct Server {
    url: String,
    keys: String,
    addr: String,
}

impl Server {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jianfu"));
        c.args(args)
            .args(["--db", &self.url, "--key-file", &self.keys])
            .env_remove("JIANFU_DATABASE_URL")
            .env("JIANFU_LOG", "warn");
        c
    }

    fn start(&self) -> Child {
        let mut child = self
            .command(&["serve", "--addr", &self.addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while http(&self.addr, "GET", "/healthz", "", None, "").map_or(true, |r| r.0 != 200) {
            assert!(child.try_wait().unwrap().is_none(), "the server exited");
            assert!(started.elapsed() < Duration::from_secs(60), "not ready");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }
}

/// One HTTP/1.1 request on its own connection: (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !token.is_empty() {
        req += &format!("Authorization: Bearer {token}\r\n");
    }
    if let Some(key) = key {
        req += &format!("Idempotency-Key: {key}\r\n");
    }
    req += "\r\n";
    req += body;
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Ok((status, body.to_owned()))
}

/// The dispatch id a 201 answer carries (its body opens with it).
fn dispatch_id(body: &str) -> Option<i64> {
    let rest = &body[body.find("{\"id\":")? + 6..];
    rest[..rest.find(',')?].parse().ok()
}

const TASK: &str = r#"{"title":"开展冬春季传染病防控宣传","body":"请各村（社区）配合做好传染病防控知识宣传。","cites":{"item_code":"XZ-008"},"targets":["120000000000"]}"#;

/// One request a client sent: its key and, once answered, the status and dispatch id.
#[derive(Clone)]
struct Attempt {
    key: String,
    answer: Option<(u16, Option<i64>)>,
}

/// A small deterministic generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<(i64, i64)> {
    let stmt = Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.query_all_raw(stmt)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            // PostgreSQL answers INT4 for sums of INT4 columns and literals, BIGINT for counts.
            let at = |i| {
                r.try_get_by_index::<i64>(i)
                    .or_else(|_| r.try_get_by_index::<i32>(i).map(i64::from))
                    .unwrap()
            };
            (at(0), at(1))
        })
        .collect()
}

async fn kill_during_fan_out(backend: Backend) {
    let db = TestDb::create(backend).await;
    let dir = temp_dir();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server {
        url: db.url.clone(),
        keys: dir.join("keys.json").to_str().unwrap().to_owned(),
        addr: format!("127.0.0.1:{port}"),
    };
    let mut add = server
        .command(&[
            "user",
            "add",
            "--username",
            "crash",
            "--role",
            "department_officer",
            "--region",
            "120000000000",
            "--department",
            "120000000000-031",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(b"Kill-Nine-2026\n")
        .unwrap();
    assert!(add.wait().unwrap().success());
    let out = server
        .command(&["token", "create", "--username", "crash", "--name", "crash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    // One dispatch first, timed, so the kills land within a dispatch's time of each other.
    let mut child = server.start();
    let started = Instant::now();
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/dispatches",
        &token,
        None,
        TASK,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let one = started.elapsed();
    let units = body.matches("\"unit\":").count() as i64;
    assert!(units > 5000, "the whole city: {units}");

    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::default();
    let mut rng = Rng(20231201);
    for cycle in 0..CYCLES {
        if cycle > 0 {
            child = server.start();
        }
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (addr, token, attempts) =
                    (server.addr.clone(), token.clone(), attempts.clone());
                std::thread::spawn(move || {
                    for n in 0.. {
                        let key = format!("crash-{cycle}-{c}-{n}");
                        let i = {
                            let mut a = attempts.lock().unwrap();
                            a.push(Attempt {
                                key: key.clone(),
                                answer: None,
                            });
                            a.len() - 1
                        };
                        let Ok((status, body)) = http(
                            &addr,
                            "POST",
                            "/api/v1/dispatches",
                            &token,
                            Some(&key),
                            TASK,
                        ) else {
                            return;
                        };
                        attempts.lock().unwrap()[i].answer = Some((status, dispatch_id(&body)));
                    }
                })
            })
            .collect();
        let wait = one.as_millis() as u64 * 5 / 2;
        std::thread::sleep(Duration::from_millis(20 + rng.below(wait.max(50))));
        child.kill().unwrap();
        child.wait().unwrap();
        for c in clients {
            c.join().unwrap();
        }
    }

    let conn = jianfu_store::connect(&db.url).await.unwrap();
    let before_retry = count(&conn, "SELECT COUNT(*), 0 FROM dispatch").await[0].0;
    conn.close().await.unwrap();

    // Started once more: every unanswered key retried sends at most once.
    let mut child = server.start();
    let attempts = attempts.lock().unwrap().clone();
    let mut retried = 0;
    for a in attempts.iter().filter(|a| a.answer.is_none()) {
        let (status, body) = http(
            &server.addr,
            "POST",
            "/api/v1/dispatches",
            &token,
            Some(&a.key),
            TASK,
        )
        .unwrap();
        assert_eq!(status, 201, "retry of {}: {body}", a.key);
        retried += 1;
    }
    let answered: Vec<(&str, i64)> = attempts
        .iter()
        .filter_map(|a| {
            let (status, id) = a.answer?;
            assert_eq!(status, 201, "{} was answered {status}", a.key);
            Some((a.key.as_str(), id.expect("a 201 carries the id")))
        })
        .collect();
    assert!(
        !answered.is_empty(),
        "no dispatch was acknowledged between kills"
    );
    assert!(retried > 0, "no kill landed during a dispatch");
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = jianfu_store::connect(&db.url).await.unwrap();
    let keyed = count(
        &conn,
        "SELECT id, COUNT(*) OVER (PARTITION BY idempotency_key) FROM dispatch \
         WHERE idempotency_key IS NOT NULL",
    )
    .await;
    assert!(keyed.iter().all(|(_, n)| *n == 1), "a key sent twice");
    assert_eq!(keyed.len(), attempts.len(), "one dispatch per key");
    let delivered = count(
        &conn,
        "SELECT dispatch_id, COUNT(*) FROM delivery GROUP BY dispatch_id",
    )
    .await;
    let totals = count(
        &conn,
        "SELECT id, allowed + flagged + blocked FROM dispatch",
    )
    .await;
    assert_eq!(totals.len(), attempts.len() + 1);
    assert_eq!(
        delivered.len(),
        totals.len(),
        "deliveries without a dispatch"
    );
    for (id, n) in &delivered {
        assert_eq!(*n, units, "dispatch {id} half delivered");
    }
    assert!(totals.iter().all(|(_, n)| *n == units));
    for (key, id) in &answered {
        assert!(
            keyed.iter().any(|(k, _)| k == id),
            "acknowledged dispatch {id} ({key}) lost"
        );
    }
    let audited = count(
        &conn,
        "SELECT COUNT(*), COUNT(DISTINCT object) FROM (SELECT object FROM audit_log \
         WHERE event = 'dispatch.create' UNION ALL SELECT object FROM audit_pending \
         WHERE event = 'dispatch.create') a",
    )
    .await;
    assert_eq!(audited, vec![(totals.len() as i64, totals.len() as i64)]);
    let out = server.command(&["audit", "verify"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // For bench/run.py, which reports it beside the benchmarks.
    println!(
        "CRASH {}",
        serde_json::json!({
            "backend": format!("{backend:?}"),
            "cycles": CYCLES,
            "units": units,
            "one_dispatch_ms": one.as_millis() as u64,
            "sent": attempts.len(),
            "acknowledged": answered.len(),
            "unanswered_retried": retried,
            // Committed, but killed before the answer went out: the retry found them.
            "committed_unanswered": before_retry - 1 - answered.len() as i64,
            "dispatches": totals.len(),
        })
    );
}

#[tokio::test]
async fn kill_9_during_fan_out_loses_nothing_acknowledged() {
    for backend in backends() {
        kill_during_fan_out(backend).await;
    }
}
