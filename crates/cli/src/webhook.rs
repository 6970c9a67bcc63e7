//! Sends departments' webhook deliveries: each body is POSTed as JSON to the department's
//! address with its HMAC-SM3 under the department's secret, so its system can check the sender.
//! Plain `http://` addresses only (government intranets; put a TLS proxy in front for
//! `https`). A failure is retried with back-off by the store's rules.

use std::time::Duration;

use chrono::Utc;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, Uri};
use jianfu_seal::FieldCipher;
use jianfu_store::DatabaseConnection;
use jianfu_store::webhook::{self, Delivery};

/// How long one attempt may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends every delivery due now; returns how many were delivered.
pub async fn deliver_due(db: &DatabaseConnection, cipher: &FieldCipher) -> anyhow::Result<usize> {
    let mut delivered = 0;
    for d in webhook::claim_due(db, Utc::now(), 50).await? {
        let outcome = match webhook::secret_of(db, &d.department).await? {
            Some(sealed) => match webhook::unseal(cipher, &sealed, &d.department) {
                Some(secret) => attempt(&d, &secret).await,
                None => Err("签名密钥无法解密（密钥文件不一致？）".to_owned()),
            },
            None => Err("部门已删除接收地址".to_owned()),
        };
        let (status, error) = match outcome {
            Ok(status) if (200..300).contains(&status) => (Some(status), None),
            Ok(status) => (Some(status), Some(format!("对方返回 HTTP {status}"))),
            Err(e) => (None, Some(e)),
        };
        if error.is_none() {
            delivered += 1;
        } else {
            tracing::warn!(delivery = d.id, department = %d.department, error = ?error, "webhook 推送失败");
        }
        webhook::record(db, &d, status, error.as_deref(), Utc::now()).await?;
    }
    Ok(delivered)
}

/// The header a receiver checks: `sm3=` and the hex HMAC-SM3 of the body under the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mac = jianfu_seal::hmac_sm3(secret.as_bytes(), body);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    format!("sm3={hex}")
}

async fn attempt(d: &Delivery, secret: &str) -> Result<u16, String> {
    tokio::time::timeout(ATTEMPT_TIMEOUT, post(d, secret))
        .await
        .unwrap_or_else(|_| Err("超时".to_owned()))
}

async fn post(d: &Delivery, secret: &str) -> Result<u16, String> {
    let uri: Uri = d.url.parse().map_err(|e| format!("地址无效：{e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err("只支持 http:// 地址".to_owned());
    }
    let host = uri.host().ok_or("地址缺少主机名")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| format!("无法连接：{e}"))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| format!("连接失败：{e}"))?;
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let body = d.body.clone().into_bytes();
    let request = Request::post(path)
        .header(
            hyper::header::HOST,
            uri.authority().map_or(host.clone(), |a| a.to_string()),
        )
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("x-jianfu-event", d.event.as_str())
        .header("x-jianfu-delivery", d.id.to_string())
        .header("x-jianfu-signature", signature(secret, &body))
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("请求无效：{e}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("发送失败：{e}"))?;
    let status = response.status().as_u16();
    // Read the (small) answer so the connection closes cleanly.
    let _ = response.into_body().collect().await;
    Ok(status)
}
