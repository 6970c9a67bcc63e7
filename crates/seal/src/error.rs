use std::path::PathBuf;

/// Everything that can go wrong here; messages are shown to Chinese-speaking operators as they are.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("密钥文件 {} 不存在", .path.display())]
    Missing { path: PathBuf },

    #[error("无法读写密钥文件 {}：{source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// `mode` is the file's current permission bits.
    #[error("密钥文件 {} 的权限过宽（当前为 {mode:04o}，应为 0600）", .path.display())]
    Permissions { path: PathBuf, mode: u32 },

    #[error("密钥文件 {} 已损坏：{reason}", .path.display())]
    Corrupt { path: PathBuf, reason: String },

    #[error("解密失败：数据已被篡改或密钥不符")]
    Decrypt,

    #[error("系统随机数源不可用：{0}")]
    Random(String),

    #[error("未知的签名算法“{0}”（应为 sm2 或 ed25519）")]
    UnknownAlgorithm(String),

    /// Names the algorithm whose known-answer test failed.
    #[error("密码算法自检失败：{0}")]
    SelfTest(&'static str),
}

impl SealError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &std::path::Path, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
