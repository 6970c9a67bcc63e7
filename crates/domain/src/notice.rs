//! Notices (通报) on violations: civil affairs drafts one from the violations of a period,
//! the approver approves it (it is then numbered), civil affairs publishes it on the public
//! site. Also the parts of an official document (GB/T 9704—2012) the rules fix: the document
//! number and the date as it is written.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::account::Role;

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeStage {
    Draft,
    /// Waiting for the approver.
    Submitted,
    /// Approved and numbered; waiting for publication.
    Approved,
    Published,
    /// Sent back to the drafter with a reason.
    Returned,
}

impl NoticeStage {
    pub const ALL: [NoticeStage; 5] = [
        NoticeStage::Draft,
        NoticeStage::Submitted,
        NoticeStage::Approved,
        NoticeStage::Published,
        NoticeStage::Returned,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NoticeStage::Draft => "draft",
            NoticeStage::Submitted => "submitted",
            NoticeStage::Approved => "approved",
            NoticeStage::Published => "published",
            NoticeStage::Returned => "returned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeStage::Draft => "草稿",
            NoticeStage::Submitted => "待审批",
            NoticeStage::Approved => "待发布",
            NoticeStage::Published => "已发布",
            NoticeStage::Returned => "已退回",
        }
    }

    pub fn from_code(code: &str) -> Option<NoticeStage> {
        NoticeStage::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the text may still be changed.
    pub fn editable(self) -> bool {
        matches!(self, NoticeStage::Draft | NoticeStage::Returned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeAction {
    Submit,
    Approve,
    Return,
    Publish,
}

impl NoticeAction {
    pub const ALL: [NoticeAction; 4] = [
        NoticeAction::Submit,
        NoticeAction::Approve,
        NoticeAction::Return,
        NoticeAction::Publish,
    ];

    pub fn code(self) -> &'static str {
        match self {
            NoticeAction::Submit => "submit",
            NoticeAction::Approve => "approve",
            NoticeAction::Return => "return",
            NoticeAction::Publish => "publish",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeAction::Submit => "提交审批",
            NoticeAction::Approve => "批准印发",
            NoticeAction::Return => "退回修改",
            NoticeAction::Publish => "公开发布",
        }
    }

    pub fn parse(code: &str) -> Option<NoticeAction> {
        NoticeAction::ALL.into_iter().find(|a| a.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeError {
    Stage {
        stage: NoticeStage,
        action: NoticeAction,
    },
    Role {
        action: NoticeAction,
        needs: Role,
    },
    /// The drafter cannot approve their own notice.
    OwnDraft,
    Missing(&'static str),
}

impl fmt::Display for NoticeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoticeError::Stage { stage, action } => {
                write!(f, "通报处于“{}”状态，不能{}", stage.label(), action.label())
            }
            NoticeError::Role { action, needs } => write!(f, "{}须由{needs}办理", action.label()),
            NoticeError::OwnDraft => write!(f, "起草人不能审批自己起草的通报"),
            NoticeError::Missing(what) => write!(f, "请填写{what}"),
        }
    }
}

/// The next stage when someone in `role` (the drafter or not) does `action` with `reason`.
/// Civil affairs drafts, submits and publishes; the approver, who did not draft it, approves
/// or returns it.
pub fn step(
    stage: NoticeStage,
    action: NoticeAction,
    role: Role,
    is_drafter: bool,
    reason: &str,
) -> Result<NoticeStage, NoticeError> {
    let needs = |needed: Role| {
        if role == needed {
            Ok(())
        } else {
            Err(NoticeError::Role {
                action,
                needs: needed,
            })
        }
    };
    match (stage, action) {
        (s, NoticeAction::Submit) if s.editable() => {
            needs(Role::CivilAffairs)?;
            Ok(NoticeStage::Submitted)
        }
        (NoticeStage::Submitted, NoticeAction::Approve | NoticeAction::Return) => {
            needs(Role::Approver)?;
            if is_drafter {
                return Err(NoticeError::OwnDraft);
            }
            if action == NoticeAction::Return {
                if reason.trim().is_empty() {
                    return Err(NoticeError::Missing("退回理由"));
                }
                return Ok(NoticeStage::Returned);
            }
            Ok(NoticeStage::Approved)
        }
        (NoticeStage::Approved, NoticeAction::Publish) => {
            needs(Role::CivilAffairs)?;
            Ok(NoticeStage::Published)
        }
        _ => Err(NoticeError::Stage { stage, action }),
    }
}

/// The actions `role` could take at `stage` (the buttons a page shows).
pub fn open_actions(stage: NoticeStage, role: Role, is_drafter: bool) -> Vec<NoticeAction> {
    NoticeAction::ALL
        .into_iter()
        .filter(|a| step(stage, *a, role, is_drafter, "理由").is_ok())
        .collect()
}

/// The document number (发文字号): the issuer's code word, the year in 〔〕 and the number,
/// e.g. "津民减负通〔2026〕3号".
pub fn document_number(prefix: &str, year: i32, number: u32) -> String {
    format!("{}〔{year}〕{number}号", prefix.trim())
}

/// A date as official documents write it: "2026年12月2日".
pub fn written_date(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// One department's violations in the period, as the draft reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offender {
    pub name: String,
    pub count: usize,
    /// The grounds and how often each occurred, most frequent first.
    pub grounds: Vec<(String, usize)>,
    /// A few of the tasks' titles.
    pub examples: Vec<String>,
}

/// The text civil affairs starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftText {
    pub title: String,
    pub body: String,
}

/// Drafts the notice's title and body from the offenders of the period `from`–`to`. Units
/// that reported are never named: the notice is public.
pub fn draft(from: NaiveDate, to: NaiveDate, offenders: &[Offender]) -> DraftText {
    let period = format!("{}至{}", written_date(from), written_date(to));
    let title = format!("关于{period}违规向村（社区）派发工作事务情况的通报");
    let total: usize = offenders.iter().map(|o| o.count).sum();
    let mut body = String::new();
    body.push_str(&format!(
        "为深入推进村（社区）组织工作事务、机制牌子和证明事项规范工作，切实减轻基层负担，\
         现将{period}各单位违反村（社区）工作事务指导目录和准入制度、向村（社区）派发工作事务的情况通报如下。\n"
    ));
    if offenders.is_empty() {
        body.push_str("一、基本情况\n经核查，通报期内未发现违规向村（社区）派发工作事务的情况。\n");
    } else {
        body.push_str(&format!(
            "一、基本情况\n通报期内，减负平台共记录违规派发{total}起，涉及{}个单位。\n",
            offenders.len()
        ));
        body.push_str("二、具体问题\n");
        for (n, o) in offenders.iter().enumerate() {
            let grounds = o
                .grounds
                .iter()
                .map(|(g, c)| format!("{g}{c}起"))
                .collect::<Vec<_>>()
                .join("，");
            let examples = if o.examples.is_empty() {
                String::new()
            } else {
                format!("，涉及“{}”等任务", o.examples.join("”“"))
            };
            body.push_str(&format!(
                "（{}）{}：违规派发{}起，其中{grounds}{examples}。\n",
                chinese_number(n + 1),
                o.name,
                o.count
            ));
        }
    }
    body.push_str(&format!(
        "{}、工作要求\n各单位要严格执行村（社区）工作事务指导目录和准入制度，\
         凡未列入目录、未经准入的事项，一律不得交由村（社区）组织承担；\
         被通报的单位要在15个工作日内完成整改，并将整改情况报送民政部门。\
         对整改不力、问题反复出现的，将按规定移交有关部门追责问责。\n",
        if offenders.is_empty() { "二" } else { "三" }
    ));
    DraftText { title, body }
}

/// What a notice reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeSubject {
    /// Tasks pushed down against the directories (the violation ledger).
    Violations,
    /// The results of the inspections completed in the period.
    Inspections,
}

impl NoticeSubject {
    pub const ALL: [NoticeSubject; 2] = [NoticeSubject::Violations, NoticeSubject::Inspections];

    pub fn code(self) -> &'static str {
        match self {
            NoticeSubject::Violations => "violations",
            NoticeSubject::Inspections => "inspections",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeSubject::Violations => "违规派发情况",
            NoticeSubject::Inspections => "检查评估结果",
        }
    }

    pub fn from_code(code: &str) -> Option<NoticeSubject> {
        NoticeSubject::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// One district's inspections of the period, as a notice on inspection results reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub district: String,
    pub units: usize,
    /// The problems found, by checklist question, most frequent first.
    pub problems: Vec<(String, usize)>,
    pub rectifications: usize,
    pub closed: usize,
}

/// Drafts a notice on the inspections completed in `from`–`to`. Units are counted, not named:
/// the notice is public and is about the districts' and departments' work.
pub fn draft_inspections(from: NaiveDate, to: NaiveDate, districts: &[Inspected]) -> DraftText {
    let period = format!("{}至{}", written_date(from), written_date(to));
    let title = format!("关于{period}村（社区）减负工作检查评估情况的通报");
    let units: usize = districts.iter().map(|d| d.units).sum();
    let found: usize = districts
        .iter()
        .flat_map(|d| d.problems.iter().map(|(_, n)| n))
        .sum();
    let mut body = format!(
        "按照村（社区）减负工作安排，联合检查组采取明察暗访方式，对{period}各区村（社区）组织工作事务、\
         机制牌子和证明事项规范情况进行了检查评估。现将有关情况通报如下。\n"
    );
    if districts.is_empty() {
        body.push_str("一、基本情况\n通报期内没有完成的检查。\n");
    } else {
        body.push_str(&format!(
            "一、基本情况\n通报期内共检查{}个区的{units}个村（社区），发现问题{found}个。\n二、各区情况\n",
            districts.len()
        ));
        for (n, d) in districts.iter().enumerate() {
            let problems = if d.problems.is_empty() {
                "未发现问题".to_owned()
            } else {
                d.problems
                    .iter()
                    .map(|(q, c)| format!("“{q}”{c}个"))
                    .collect::<Vec<_>>()
                    .join("，")
            };
            body.push_str(&format!(
                "（{}）{}：检查{}个村（社区），{problems}；已下达整改{}个，已销号{}个。\n",
                chinese_number(n + 1),
                d.district,
                d.units,
                d.rectifications,
                d.closed
            ));
        }
    }
    body.push_str(&format!(
        "{}、工作要求\n各区要督促有关单位对照问题逐项整改，在规定期限内报送整改情况和佐证材料，\
         整改完成一个销号一个；对逾期未整改、问题反复出现的，将予以通报并按规定移交有关部门追责问责。\n",
        if districts.is_empty() { "二" } else { "三" }
    ));
    DraftText { title, body }
}

/// 1 → "一", 12 → "十二", 21 → "二十一" (to 99: a notice lists fewer offenders).
fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => DIGITS[n].to_owned(),
        10..=19 => format!("十{}", if n == 10 { "" } else { DIGITS[n % 10] }),
        20..=99 => format!(
            "{}十{}",
            DIGITS[n / 10],
            if n.is_multiple_of(10) {
                ""
            } else {
                DIGITS[n % 10]
            }
        ),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_inspection_notice_counts_units_and_problems_by_district() {
        let d = Inspected {
            district: "和平区".into(),
            units: 2,
            problems: vec![("党群服务中心外挂牌子是否符合“一横四竖两标识”".into(), 1)],
            rectifications: 1,
            closed: 1,
        };
        let t = draft_inspections(day("2026-12-01"), day("2026-12-31"), &[d]);
        assert_eq!(
            t.title,
            "关于2026年12月1日至2026年12月31日村（社区）减负工作检查评估情况的通报"
        );
        assert!(
            t.body.contains("共检查1个区的2个村（社区），发现问题1个"),
            "{}",
            t.body
        );
        assert!(t.body.contains("（一）和平区：检查2个村（社区），“党群服务中心外挂牌子是否符合“一横四竖两标识””1个；已下达整改1个，已销号1个。"), "{}", t.body);
        assert!(t.body.contains("三、工作要求"));
        let empty = draft_inspections(day("2026-12-01"), day("2026-12-31"), &[]);
        assert!(empty.body.contains("没有完成的检查") && empty.body.contains("二、工作要求"));
    }

    #[test]
    fn civil_affairs_drafts_and_publishes_the_approver_approves_what_they_did_not_write() {
        use NoticeAction::*;
        use NoticeStage::*;
        let ca = Role::CivilAffairs;
        let ap = Role::Approver;
        assert_eq!(step(Draft, Submit, ca, true, ""), Ok(Submitted));
        assert_eq!(step(Returned, Submit, ca, true, ""), Ok(Submitted));
        assert_eq!(step(Submitted, Approve, ap, false, ""), Ok(Approved));
        assert_eq!(
            step(Submitted, Approve, ap, true, ""),
            Err(NoticeError::OwnDraft)
        );
        assert_eq!(
            step(Submitted, Approve, ca, false, ""),
            Err(NoticeError::Role {
                action: Approve,
                needs: ap
            })
        );
        assert_eq!(
            step(Submitted, Return, ap, false, " "),
            Err(NoticeError::Missing("退回理由"))
        );
        assert_eq!(step(Submitted, Return, ap, false, "数字有误"), Ok(Returned));
        assert_eq!(step(Approved, Publish, ca, false, ""), Ok(Published));
        assert_eq!(
            step(Draft, Publish, ca, true, ""),
            Err(NoticeError::Stage {
                stage: Draft,
                action: Publish
            })
        );
        for s in [Published, Approved, Submitted] {
            assert!(step(s, Submit, ca, true, "").is_err());
        }
        assert_eq!(open_actions(Draft, ca, true), vec![Submit]);
        assert_eq!(open_actions(Submitted, ap, false), vec![Approve, Return]);
        assert!(open_actions(Published, ca, true).is_empty());
        for s in NoticeStage::ALL {
            assert_eq!(NoticeStage::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn official_numbers_and_dates() {
        assert_eq!(
            document_number("津民减负通", 2026, 3),
            "津民减负通〔2026〕3号"
        );
        assert_eq!(written_date(day("2026-12-02")), "2026年12月2日");
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(21), "二十一");
    }

    #[test]
    fn the_draft_counts_offenders_and_names_no_village() {
        let offenders = [Offender {
            name: "和平区教育局".into(),
            count: 4,
            grounds: vec![("无派发依据".into(), 3), ("属于禁止派发事项".into(), 1)],
            examples: vec!["统计学生家长信息".into()],
        }];
        let d = draft(day("2026-11-01"), day("2026-11-30"), &offenders);
        assert_eq!(
            d.title,
            "关于2026年11月1日至2026年11月30日违规向村（社区）派发工作事务情况的通报"
        );
        assert!(
            d.body.contains("共记录违规派发4起，涉及1个单位"),
            "{}",
            d.body
        );
        assert!(d.body.contains("（一）和平区教育局：违规派发4起，其中无派发依据3起，属于禁止派发事项1起，涉及“统计学生家长信息”等任务。"));
        assert!(d.body.contains("三、工作要求"));
        let none = draft(day("2026-11-01"), day("2026-11-30"), &[]);
        assert!(none.body.contains("未发现违规"));
        assert!(none.body.contains("二、工作要求"));
    }
}
