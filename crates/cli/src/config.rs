//! Layered configuration: built-in defaults ← `jianfu.toml` (or `--config FILE`) ← `JIANFU_*`
//! environment variables ← command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// `sqlite://…`, `postgres://…` or `mysql://…`; empty means the SQLite file in `data_dir`.
    pub database_url: String,
    /// Listen address of `jianfu serve`.
    pub addr: String,
    /// Where the embedded database and, by default, the key file live.
    pub data_dir: PathBuf,
    /// The key file (signing and field-encryption keys), kept outside the database; empty means
    /// `keys.json` in `data_dir`. App nodes of one deployment share it.
    pub key_file: PathBuf,
    /// A production deployment: demo accounts can neither be created nor log in.
    pub production: bool,
    /// The address the public reaches this deployment at, e.g. `https://jianfu.example.gov.cn`:
    /// certificates' QR codes point there. Empty means `http://` + `addr`.
    pub public_url: String,
    /// Public certificate verifications one address may make per minute.
    pub verifications_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: String::new(),
            addr: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("jianfu-data"),
            key_file: PathBuf::new(),
            production: false,
            public_url: String::new(),
            verifications_per_minute: jianfu_web::certificate::VERIFICATIONS_PER_MINUTE,
        }
    }
}

impl Config {
    /// Reads the layers below the command line; `file` must exist when given explicitly.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) if !f.exists() => anyhow::bail!("配置文件 {} 不存在", f.display()),
            Some(f) => figment = figment.merge(Toml::file(f)),
            None => figment = figment.merge(Toml::file("jianfu.toml")),
        }
        figment
            .merge(Env::prefixed("JIANFU_"))
            .extract()
            .map_err(|e| anyhow::anyhow!("配置有误：{e}"))
    }

    /// The key file in force: the configured one, or `keys.json` in the data folder.
    pub fn key_file(&self) -> PathBuf {
        if self.key_file.as_os_str().is_empty() {
            self.data_dir.join("keys.json")
        } else {
            self.key_file.clone()
        }
    }

    /// The public address in force: the configured one, or the listen address.
    pub fn public_url(&self) -> String {
        match self.public_url.trim() {
            "" => format!("http://{}", self.addr),
            url => url.to_owned(),
        }
    }

    /// The database URL in force: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite://{}", self.data_dir.join("jianfu.db").display())
        } else {
            self.database_url.trim().to_owned()
        }
    }
}
