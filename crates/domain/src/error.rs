//! The one error type every layer speaks. Each variant has a stable snake_case code for API
//! clients and a Chinese message for people; internal details never reach either.

/// How a caller should treat an error (the web layer maps this to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request itself is wrong (400).
    Invalid,
    /// Well-formed, but a rule refuses it (422): a bad file, a step out of order.
    Refused,
    /// The thing asked for does not exist (404).
    NotFound,
    /// Nobody is logged in (401).
    Unauthenticated,
    /// Logged in, but not allowed (403).
    Forbidden,
    /// The thing is not in a state that allows the request (409): a step out of order.
    Conflict,
    /// Too many attempts from one place (429).
    RateLimited,
    /// A dependency such as the database cannot be reached (503).
    Unavailable,
    /// A fault of ours (500); details are logged only.
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("区划代码“{0}”格式不正确：应为 2、4、6、9 或 12 位数字，例如 120101000000")]
    InvalidRegionCode(String),
    #[error("未找到区划代码为 {0} 的单位")]
    RegionNotFound(String),
    #[error(
        "目录“{0}”不存在：应为 duty、assistance、mechanism_sign、certificate_may_issue、certificate_must_not_issue、public_service 或 prohibited_task"
    )]
    UnknownDirectory(String),
    #[error("{0}不存在")]
    CatalogNotFound(String),
    #[error("请求的地址 {0} 不存在")]
    RouteNotFound(String),
    #[error("查询参数不正确：{0}")]
    InvalidQuery(String),
    #[error("请求正文不是有效的 JSON：{0}")]
    InvalidJson(String),
    #[error("请先登录")]
    Unauthenticated,
    #[error("没有权限执行此操作")]
    Forbidden,
    #[error("{0}不在您的管辖范围内")]
    OutsideScope(String),
    #[error("请求已失效，请刷新页面后重试")]
    CsrfRejected,
    #[error("尝试过于频繁，请一分钟后再试")]
    RateLimited,
    #[error("审计记录须保存至少 180 天，不能清理 {0} 之后产生的记录")]
    RetentionNotReached(String),
    /// A business rule refuses the request; `details` lists each problem (a file's bad rows).
    #[error("{message}")]
    Refused {
        message: String,
        details: Vec<String>,
    },
    /// A step the procedure does not allow from the current stage; `stage` is its stable code.
    #[error("{message}")]
    WrongStage {
        stage: &'static str,
        message: String,
    },
    /// A certificate the lists do not let the village issue; the refusal is recorded, and
    /// `guidance` says where the resident should go instead.
    #[error("{message}")]
    CertificateNotAllowed { message: String, guidance: String },
    #[error("数据库暂时无法访问，请稍后再试")]
    DatabaseUnavailable,
    #[error("系统内部错误，请稍后再试或联系系统管理员")]
    Internal,
}

impl Error {
    /// A rule's refusal with one message and no list of problems.
    pub fn refused(message: impl Into<String>) -> Error {
        Error::Refused {
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// Stable machine-readable code; API clients may rely on it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRegionCode(_) => "invalid_region_code",
            Error::RegionNotFound(_) => "region_not_found",
            Error::RouteNotFound(_) => "not_found",
            Error::UnknownDirectory(_) => "unknown_directory",
            Error::CatalogNotFound(_) => "catalog_not_found",
            Error::InvalidQuery(_) => "invalid_query",
            Error::InvalidJson(_) => "invalid_json",
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::OutsideScope(_) => "outside_scope",
            Error::CsrfRejected => "csrf_rejected",
            Error::RateLimited => "rate_limited",
            Error::RetentionNotReached(_) => "retention_not_reached",
            Error::Refused { .. } => "refused",
            Error::WrongStage { .. } => "wrong_stage",
            Error::CertificateNotAllowed { .. } => "certificate_not_allowed",
            Error::DatabaseUnavailable => "database_unavailable",
            Error::Internal => "internal",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRegionCode(_)
            | Error::InvalidQuery(_)
            | Error::InvalidJson(_)
            | Error::RetentionNotReached(_) => ErrorKind::Invalid,
            Error::RegionNotFound(_)
            | Error::RouteNotFound(_)
            | Error::UnknownDirectory(_)
            | Error::CatalogNotFound(_) => ErrorKind::NotFound,
            Error::Unauthenticated => ErrorKind::Unauthenticated,
            Error::Forbidden | Error::OutsideScope(_) | Error::CsrfRejected => ErrorKind::Forbidden,
            Error::RateLimited => ErrorKind::RateLimited,
            Error::Refused { .. } | Error::CertificateNotAllowed { .. } => ErrorKind::Refused,
            Error::WrongStage { .. } => ErrorKind::Conflict,
            Error::DatabaseUnavailable => ErrorKind::Unavailable,
            Error::Internal => ErrorKind::Internal,
        }
    }
}
