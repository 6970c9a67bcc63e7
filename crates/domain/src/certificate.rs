//! Certificates (证明事项, PRODUCT.md §6): what a village may certify, the numbers and texts of
//! what it issues, and what a verifier is told. This ends the "万能章": a village seal issues
//! only the types on the may-issue list in force for the unit that day; a type on the
//! must-not list, or on neither, is refused with guidance, and the refusal is kept with the
//! agency that demanded the certificate.
//!
//! Everything here is pure: the signature, the SM4 encryption and the verification tag are the
//! seal crate's, over the canonical text built here.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::catalog::{DirectoryItem, EffectiveItem, ItemCode, ServiceGuide};
use crate::{Error, RegionCode};

/// A resident identity number (公民身份号码, GB 11643-1999): 17 digits and a check character,
/// the first six a division code, then the birth date. Only 18-character numbers are taken:
/// first-generation 15-digit cards expired in 2013.
#[derive(Clone, PartialEq, Eq)]
pub struct IdCardNo(String);

/// Weights of the 17 digits in the ISO 7064 MOD 11-2 check.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder mod 11.
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes a number can start with (including 71 台湾, 81 香港, 82 澳门 and 83,
/// which the residence permits for Hong Kong, Macao and Taiwan residents use).
const PROVINCES: [u32; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

impl IdCardNo {
    /// Reads a number as people type it: spaces around it ignored, a lower-case x accepted.
    pub fn parse(raw: &str) -> Result<IdCardNo, Error> {
        let s: String = raw.trim().to_uppercase();
        let bad =
            |why: String| Error::refused(format!("公民身份号码“{}”不正确：{why}", raw.trim()));
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(bad(format!("应为 18 位，实际 {} 位", chars.len())));
        }
        let Some(digits) = chars[..17]
            .iter()
            .map(|c| c.to_digit(10))
            .collect::<Option<Vec<u32>>>()
        else {
            return Err(bad("前 17 位应全部是数字".into()));
        };
        let province = digits[0] * 10 + digits[1];
        if !PROVINCES.contains(&province) {
            return Err(bad(format!("前两位 {province:02} 不是省级行政区划代码")));
        }
        let number = |from: usize, to: usize| digits[from..to].iter().fold(0, |n, d| n * 10 + d);
        let (y, m, d) = (number(6, 10), number(10, 12), number(12, 14));
        if y < 1900 || NaiveDate::from_ymd_opt(y as i32, m, d).is_none() {
            return Err(bad(format!(
                "第 7–14 位的出生日期 {y:04}{m:02}{d:02} 不是有效日期"
            )));
        }
        let sum: u32 = digits.iter().zip(ID_WEIGHTS).map(|(d, w)| d * w).sum();
        if chars[17] != ID_CHECK[(sum % 11) as usize] {
            return Err(bad("末位校验码不符，请核对是否有输错的数字".into()));
        }
        Ok(IdCardNo(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date the number carries (checked valid by `parse`).
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// As screens show it: the first 6 and last 4 characters, stars between.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..6], "*".repeat(8), &self.0[14..])
    }
}

/// Never print the full number by accident (logs, panics).
impl fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

/// A name as a verifier sees it: the first character, a star for each of the rest.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        None => String::new(),
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
    }
}

/// A certificate number (证明编号): the issuing unit's 12-digit code, the year and a sequence
/// per unit and year, e.g. `120101001001-2026-000042`. The store hands out the sequence in the
/// database, so numbers stay unique across app nodes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertNo {
    pub unit: RegionCode,
    pub year: i32,
    pub seq: u32,
}

impl CertNo {
    pub fn new(unit: RegionCode, year: i32, seq: u32) -> CertNo {
        CertNo { unit, year, seq }
    }

    pub fn parse(raw: &str) -> Result<CertNo, Error> {
        let raw = raw.trim();
        let bad = || {
            Error::refused(format!(
                "证明编号“{raw}”格式不正确：应为“12 位单位代码-年份-6 位序号”，例如 120101001001-2026-000001"
            ))
        };
        let mut parts = raw.split('-');
        let (Some(unit), Some(year), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(unit, 12) || !digits(year, 4) || !digits(seq, 6) {
            return Err(bad());
        }
        let unit = RegionCode::parse(unit).map_err(|_| bad())?;
        Ok(CertNo {
            unit,
            year: year.parse().map_err(|_| bad())?,
            seq: seq.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", self.unit, self.year, self.seq)
    }
}

/// How the lists treated a request; the code is stored with every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// On the may-issue list in force: issued.
    MayIssue,
    /// On the must-not list in force: refused with its guidance.
    MustNotIssue,
    /// On neither list: refused.
    NotListed,
    /// On neither list, issued after a recorded residents' consultation and the director's
    /// signature, where the region's rule allows it.
    Consulted,
}

impl Listing {
    pub const ALL: [Listing; 4] = [
        Listing::MayIssue,
        Listing::MustNotIssue,
        Listing::NotListed,
        Listing::Consulted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Listing::MayIssue => "may_issue",
            Listing::MustNotIssue => "must_not_issue",
            Listing::NotListed => "not_listed",
            Listing::Consulted => "consulted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Listing::MayIssue => "可出具清单内",
            Listing::MustNotIssue => "不应出具清单内",
            Listing::NotListed => "两张清单均未列入",
            Listing::Consulted => "清单未列，经居民协商出具",
        }
    }

    pub fn from_code(code: &str) -> Option<Listing> {
        Listing::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Whether a certificate comes out.
    pub fn issues(self) -> bool {
        matches!(self, Listing::MayIssue | Listing::Consulted)
    }
}

/// What the worker asks for: a listed type by its code, or a type the lists do not name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    Item(ItemCode),
    Unlisted(String),
}

/// The record of a residents' consultation (居民协商) that lets an unlisted type through,
/// where the region allows it: when, who took part, what was agreed, and the director who
/// signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub held_on: NaiveDate,
    pub participants: String,
    pub summary: String,
    pub director: String,
}

/// The lists as they stand for one unit on one day (city version, district refinement).
pub struct Lists<'a> {
    pub may_issue: Vec<EffectiveItem<'a>>,
    pub may_issue_version: Option<u32>,
    pub must_not: Vec<EffectiveItem<'a>>,
    pub must_not_version: Option<u32>,
    /// The region's rule: may an unlisted type go through a residents' consultation?
    pub allow_consulted: bool,
}

/// The decision on one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub listing: Listing,
    /// The item the lists matched, if any.
    pub item: Option<DirectoryItem>,
    /// The version of the list that decided.
    pub version: Option<u32>,
    /// The type's name as it will be printed and counted.
    pub type_name: String,
    /// Why, in Chinese.
    pub message: String,
    /// For refusals: where to send the resident instead (blank for issued ones).
    pub guidance: String,
}

impl Decision {
    /// The service guide, for an issued listed type.
    pub fn guide(&self) -> Option<&ServiceGuide> {
        self.item.as_ref().and_then(|i| i.guide.as_ref())
    }
}

/// Names compared as people write them: no spaces or brackets, full-width and half-width
/// alike, a trailing "证明" not needed.
fn normalised(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !"（）()【】[]《》“”\"、，,·".contains(*c))
        .collect::<String>()
        .trim_end_matches("证明")
        .to_owned()
}

/// The guidance printed when a must-not item carries none of its own.
fn default_guidance(item: &DirectoryItem) -> String {
    format!(
        "此证明列入《{}》，不应由村（社区）出具。请告知要求开具的单位：通过部门间信息共享核查，或由申请人作出书面承诺（告知承诺制），不得要求村（社区）出具。",
        if item.basis.is_empty() {
            "不应出具证明事项清单"
        } else {
            "不应由基层群众性自治组织出具证明事项清单"
        }
    )
}

/// Decides a request against the lists. A must-not item wins over everything: an unlisted
/// name that is a must-not item's name is that item, so renaming a type does not get it out.
pub fn decide(
    lists: &Lists<'_>,
    requested: &Requested,
    consultation: Option<&Consultation>,
) -> Result<Decision, Error> {
    let must_not = |name: &str| {
        let n = normalised(name);
        lists
            .must_not
            .iter()
            .find(|e| !n.is_empty() && normalised(&e.item.name) == n)
    };
    let refuse = |e: &EffectiveItem<'_>| Decision {
        listing: Listing::MustNotIssue,
        item: Some(e.item.clone()),
        version: lists.must_not_version,
        type_name: e.item.name.clone(),
        message: format!(
            "“{}”列入不应出具证明事项清单（第 {} 版，编号 {}），村（社区）不予出具",
            e.item.name,
            lists.must_not_version.unwrap_or_default(),
            e.item.code
        ),
        guidance: e
            .item
            .refusal_guidance
            .clone()
            .filter(|g| !g.trim().is_empty())
            .unwrap_or_else(|| default_guidance(e.item)),
    };
    match requested {
        Requested::Item(code) => {
            if let Some(e) = lists.must_not.iter().find(|e| &e.item.code == code) {
                return Ok(refuse(e));
            }
            if let Some(e) = lists.may_issue.iter().find(|e| &e.item.code == code) {
                return Ok(Decision {
                    listing: Listing::MayIssue,
                    item: Some(e.item.clone()),
                    version: lists.may_issue_version,
                    type_name: e.item.name.clone(),
                    message: format!(
                        "“{}”在可出具证明事项清单内（第 {} 版，编号 {}）",
                        e.item.name,
                        lists.may_issue_version.unwrap_or_default(),
                        e.item.code
                    ),
                    guidance: String::new(),
                });
            }
            Err(Error::refused(format!(
                "证明类型“{code}”不在本单位当日适用的可出具或不应出具证明事项清单中：请从清单中选择，或按“清单未列”办理"
            )))
        }
        Requested::Unlisted(name) => {
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::refused("请填写要开具的证明名称"));
            }
            if let Some(e) = must_not(name) {
                return Ok(refuse(e));
            }
            if let Some(e) = lists
                .may_issue
                .iter()
                .find(|e| normalised(&e.item.name) == normalised(name))
            {
                return Err(Error::refused(format!(
                    "“{name}”就是可出具清单中的“{}”（编号 {}）：请直接选择该类型",
                    e.item.name, e.item.code
                )));
            }
            let not_listed = |message: String, guidance: &str| Decision {
                listing: Listing::NotListed,
                item: None,
                version: None,
                type_name: name.to_owned(),
                message,
                guidance: guidance.to_owned(),
            };
            if !lists.allow_consulted {
                return Ok(not_listed(
                    format!("“{name}”不在可出具证明事项清单内，本地区不允许出具清单外的证明"),
                    "请告知要求开具的单位：村（社区）只出具可出具证明事项清单内的证明；所需情况可通过部门间信息共享核查，或由申请人作出书面承诺（告知承诺制）。",
                ));
            }
            match consultation {
                None => Ok(not_listed(
                    format!(
                        "“{name}”不在可出具证明事项清单内：本地区规定须经居民协商并由村（居）委会主任签字后方可出具"
                    ),
                    "如确需出具，请先组织居民协商，记录协商日期、参加人员和协商意见，并由主任签字后再次申请。",
                )),
                Some(c) => {
                    if c.participants.trim().is_empty()
                        || c.summary.trim().is_empty()
                        || c.director.trim().is_empty()
                    {
                        return Err(Error::refused(
                            "居民协商记录不完整：请填写参加人员、协商意见和签字的主任",
                        ));
                    }
                    Ok(Decision {
                        listing: Listing::Consulted,
                        item: None,
                        version: None,
                        type_name: name.to_owned(),
                        message: format!(
                            "“{name}”不在可出具证明事项清单内，经 {} 居民协商、主任{}签字出具",
                            c.held_on,
                            c.director.trim()
                        ),
                        guidance: String::new(),
                    })
                }
            }
        }
    }
}

/// The placeholders a template may use, each with what it prints.
pub const PLACEHOLDERS: [(&str, &str); 8] = [
    ("申请人", "申请人姓名"),
    ("身份证号", "申请人公民身份号码"),
    ("证明内容", "开具人填写的证明内容"),
    ("事由", "申请人用于何事"),
    ("要求开具单位", "要求出具证明的单位"),
    ("开具单位", "本村（社区）的名称"),
    ("开具日期", "开具日期，如 2026年12月1日"),
    ("证明编号", "证明编号"),
];

/// The template used when a type has none of its own.
pub const DEFAULT_TEMPLATE: &str = "兹证明{申请人}（公民身份号码：{身份证号}）{证明内容}。\n\n因{事由}需要，应{要求开具单位}要求，特此证明。";

/// Checks that a template uses only known placeholders and closes every brace; the message
/// names the first problem.
pub fn check_template(template: &str) -> Result<(), Error> {
    if template.trim().is_empty() {
        return Err(Error::refused("证明模板不能为空"));
    }
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(Error::refused(
                "证明模板中有多余的“}”：占位符应写作 {申请人} 这样的形式",
            ));
        }
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(Error::refused("证明模板中的“{”没有对应的“}”"));
        };
        let name = &after[..close];
        if !PLACEHOLDERS.iter().any(|(p, _)| *p == name) {
            return Err(Error::refused(format!(
                "证明模板中的占位符 {{{name}}} 无法识别：可用的有 {}",
                PLACEHOLDERS
                    .iter()
                    .map(|(p, _)| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join("、")
            )));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// What fills a template's placeholders.
#[derive(Debug, Clone, Default)]
pub struct TemplateValues {
    pub applicant: String,
    pub id_number: String,
    pub details: String,
    pub purpose: String,
    pub demanding_agency: String,
    pub issuer: String,
    pub issued_on: Option<NaiveDate>,
    pub cert_no: String,
}

/// A day as Chinese documents print it: 2026年12月1日.
pub fn chinese_date(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// The certificate's text: the template with its placeholders filled in one pass (a value is
/// never read as a placeholder; an unknown placeholder is left as written).
pub fn render_template(template: &str, v: &TemplateValues) -> String {
    let day = v.issued_on.map(chinese_date).unwrap_or_default();
    let value = |name: &str| -> Option<&str> {
        Some(match name {
            "申请人" => v.applicant.trim(),
            "身份证号" => v.id_number.trim(),
            "证明内容" => v.details.trim().trim_end_matches('。'),
            "事由" => v.purpose.trim(),
            "要求开具单位" => v.demanding_agency.trim(),
            "开具单位" => v.issuer.trim(),
            "开具日期" => day.as_str(),
            "证明编号" => v.cert_no.trim(),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after
            .find('}')
            .and_then(|close| value(&after[..close]).map(|v| (close, v)))
        {
            Some((close, filled)) => {
                out.push_str(filled);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where the identity number goes in a stored text: the stored body keeps the placeholder,
/// so the full number exists only encrypted, and is filled in when the issuing village prints.
pub const ID_PLACEHOLDER: &str = "{身份证号}";

/// A stored body with the identity number filled in (full for the printout, masked on screen).
pub fn with_identity(body: &str, id_number: &str) -> String {
    body.replace(ID_PLACEHOLDER, id_number)
}

/// A field a person typed, trimmed and checked: required, at most `max` characters, and no
/// braces (they would read as template placeholders).
pub fn check_field(label: &str, value: &str, max: usize, required: bool) -> Result<String, Error> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(Error::refused(format!("请填写{label}")));
    }
    if value.chars().count() > max {
        return Err(Error::refused(format!("{label}不能超过 {max} 个字")));
    }
    if value.contains(['{', '}']) {
        return Err(Error::refused(format!("{label}中不能包含花括号“{{}}”")));
    }
    Ok(value.to_owned())
}

/// Everything a certificate says, as signed: the signature covers [`canonical`] of this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub cert_no: CertNo,
    pub type_code: String,
    pub type_name: String,
    pub listing: Listing,
    pub issuer_code: RegionCode,
    pub issuer_name: String,
    pub issued_on: NaiveDate,
    pub applicant_name: String,
    /// A keyed digest of the identity number, not the number: the canonical text can be
    /// checked without decrypting it.
    pub id_digest: String,
    pub purpose: String,
    pub demanding_agency: String,
    pub body: String,
    /// The number this one replaces (补发/更正), if any.
    pub supersedes: Option<CertNo>,
}

/// One line per field, `name=value`, values with `\` and line breaks escaped: the bytes the
/// signature is over, the same on every node and every database.
pub fn canonical(c: &Content) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('\r', "\\r")
            .replace('\n', "\\n")
    };
    let fields = [
        ("cert_no", c.cert_no.to_string()),
        ("type_code", c.type_code.clone()),
        ("type_name", c.type_name.clone()),
        ("listing", c.listing.code().to_owned()),
        ("issuer_code", c.issuer_code.to_string()),
        ("issuer_name", c.issuer_name.clone()),
        ("issued_on", c.issued_on.to_string()),
        ("applicant_name", c.applicant_name.clone()),
        ("id_digest", c.id_digest.clone()),
        ("purpose", c.purpose.clone()),
        ("demanding_agency", c.demanding_agency.clone()),
        ("body", c.body.clone()),
        (
            "supersedes",
            c.supersedes
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
        ),
    ];
    let mut out = String::from("jianfu-certificate/1\n");
    for (k, v) in fields {
        out.push_str(k);
        out.push('=');
        out.push_str(&esc(&v));
        out.push('\n');
    }
    out.into_bytes()
}

/// A certificate's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    Revoked,
    /// Replaced by a reissued certificate (补发/更正).
    Superseded,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Valid, Status::Revoked, Status::Superseded];

    pub fn code(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked => "revoked",
            Status::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Valid => "有效",
            Status::Revoked => "已撤销",
            Status::Superseded => "已被补发证明替代",
        }
    }

    pub fn from_code(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// The text a status is signed as: which certificate, its content digest, the status and
/// since when. Stored with its signature so a verification reads it, not re-checks content.
pub fn status_statement(
    cert_no: &CertNo,
    content_sm3: &str,
    status: Status,
    since: &str,
) -> Vec<u8> {
    format!(
        "jianfu-certificate-status/1\ncert_no={cert_no}\ncontent_sm3={content_sm3}\nstatus={}\nsince={since}\n",
        status.code()
    )
    .into_bytes()
}

/// A revocation or reissue needs a reason a person can read later.
pub fn check_reason(reason: &str, what: &str) -> Result<String, Error> {
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(Error::refused(format!("请填写{what}原因")));
    }
    Ok(reason.chars().take(500).collect())
}

/// What the public verifier (`/verify/{cert_no}`) answers: four questions, nothing more
/// about the person than a masked name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The number exists and the tag read from the QR code is the one issued with it.
    pub authentic: bool,
    /// Not revoked or superseded.
    pub current: bool,
    /// The type was on the may-issue list in force on the issue date.
    pub allowed: bool,
    pub status: Option<Status>,
    pub summary: String,
}

/// The verifier's plain answer from the facts found.
pub fn verify(
    found: Option<(Status, Listing)>,
    tag_matches: bool,
    allowed_then: bool,
) -> Verification {
    let Some((status, listing)) = found else {
        return Verification {
            authentic: false,
            current: false,
            allowed: false,
            status: None,
            summary: "查无此证明：编号不存在，证明不是本平台开具的，或编号被改动过".into(),
        };
    };
    if !tag_matches {
        return Verification {
            authentic: false,
            current: false,
            allowed: false,
            status: None,
            summary: "验证失败：二维码中的校验码与该编号不符，证明可能被伪造或篡改".into(),
        };
    }
    let current = status == Status::Valid;
    let allowed = listing == Listing::MayIssue && allowed_then;
    let summary = match (status, listing) {
        (Status::Revoked, _) => "该证明已被开具单位撤销，不再有效".to_owned(),
        (Status::Superseded, _) => "该证明已被补发的新证明替代，不再有效".to_owned(),
        (Status::Valid, Listing::Consulted) => {
            "证明真实有效；该类型不在可出具清单内，系经居民协商、主任签字后出具".to_owned()
        }
        (Status::Valid, _) if !allowed => {
            "证明由本平台开具，但开具当日该类型不在可出具证明事项清单内".to_owned()
        }
        (Status::Valid, _) => "证明真实有效，开具当日该类型在可出具证明事项清单内".to_owned(),
    };
    Verification {
        authentic: true,
        current,
        allowed,
        status: Some(status),
        summary,
    }
}

#[cfg(test)]
mod tests;
