use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::catalog::{Applicability, DirectoryKind, refined};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The check character of 17 digits, computed the long way from the standard's definition:
/// the remainder of Σ aᵢ·2^(18−i) mod 11, then (12 − r) mod 11 with 10 written X.
fn oracle_check(digits: &str) -> char {
    let sum: u64 = digits
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap() as u64 * (1u64 << (17 - i)) % 11)
        .sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        n => char::from_digit(n as u32, 10).unwrap(),
    }
}

#[test]
fn identity_numbers_are_checked_by_gb11643() {
    for ok in [
        "11010519491231002X",
        "120101199001011239",
        "12010219850315002x",
    ] {
        let id = IdCardNo::parse(ok).unwrap();
        assert_eq!(id.as_str(), ok.to_uppercase());
    }
    assert_eq!(
        IdCardNo::parse(" 120101199001011239 ")
            .unwrap()
            .birth_date(),
        day("1990-01-01")
    );
    let message = |raw: &str| IdCardNo::parse(raw).unwrap_err().to_string();
    assert!(message("12010119900101123").contains("应为 18 位，实际 17 位"));
    assert!(message("12010119900101123A").contains("末位校验码不符"));
    assert!(message("120101199001011238").contains("末位校验码不符"));
    assert!(message("1201011990010112X9").contains("前 17 位应全部是数字"));
    assert!(message("990101199001011230").contains("前两位 99"));
    assert!(message("120101199002301230").contains("19900230 不是有效日期"));
    assert!(message("120101180001011230").contains("18000101"));
    assert!(message("１２０１０１１９９００１０１１２３９").contains("前 17 位"));
}

#[test]
fn screens_and_verifiers_see_masked_identities() {
    let id = IdCardNo::parse("120101199001011239").unwrap();
    assert_eq!(id.masked(), "120101********1239");
    assert_eq!(format!("{id:?}"), "IdCardNo(120101********1239)");
    assert_eq!(mask_name("张三"), "张*");
    assert_eq!(mask_name("欧阳娜娜"), "欧***");
    assert_eq!(mask_name("王"), "王*");
    assert_eq!(mask_name("  "), "");
}

proptest! {
    #[test]
    fn the_check_character_agrees_with_the_standard_and_catches_one_wrong_digit(
        province in proptest::sample::select(PROVINCES.to_vec()),
        rest in "[0-9]{4}",
        birth in 0u32..40_000,
        seq in "[0-9]{3}",
        pos in 0usize..17,
        delta in 1u32..10,
    ) {
        let born = day("1920-01-01") + chrono::Duration::days(birth as i64);
        let body = format!("{province:02}{rest}{}{seq}", born.format("%Y%m%d"));
        let check = oracle_check(&body);
        let whole = format!("{body}{check}");
        let id = IdCardNo::parse(&whole).unwrap();
        prop_assert_eq!(id.birth_date(), born);
        // MOD 11-2 catches every single wrong digit.
        let mut typo: Vec<char> = body.chars().collect();
        typo[pos] = char::from_digit((typo[pos].to_digit(10).unwrap() + delta) % 10, 10).unwrap();
        let typo: String = typo.into_iter().collect();
        let wrong = format!("{typo}{check}");
        prop_assert!(IdCardNo::parse(&wrong).is_err());
    }

    #[test]
    fn certificate_numbers_read_back_as_written(unit in 1u64..999_999_999_999, year in 2000i32..2100, seq in 1u32..999_999) {
        let unit = RegionCode::parse(&format!("{unit:012}"));
        prop_assume!(unit.is_ok());
        let no = CertNo::new(unit.unwrap(), year, seq);
        prop_assert_eq!(CertNo::parse(&no.to_string()).unwrap(), no);
    }
}

#[test]
fn malformed_certificate_numbers_are_named() {
    for bad in [
        "",
        "120101001001-2026-1",
        "120101001001-2026-000001-1",
        "12010100100-2026-000001",
        "120101001001_2026_000001",
        "12010100100X-2026-000001",
    ] {
        let e = CertNo::parse(bad).unwrap_err().to_string();
        assert!(
            e.contains("证明编号") && e.contains("格式不正确"),
            "{bad}: {e}"
        );
    }
}

fn item(kind: DirectoryKind, n: u32, name: &str) -> DirectoryItem {
    DirectoryItem {
        code: ItemCode::numbered(kind, n),
        name: name.into(),
        category: String::new(),
        basis: "民发〔2020〕20号".into(),
        department: String::new(),
        village_role: String::new(),
        support: String::new(),
        applicability: Applicability::Both,
        valid_from: day("2020-01-01"),
        valid_to: None,
        guide: None,
        refusal_guidance: None,
        source: String::new(),
        is_demo: false,
    }
}

struct Fixture {
    may: Vec<DirectoryItem>,
    must_not: Vec<DirectoryItem>,
}

impl Fixture {
    fn new() -> Fixture {
        let mut no_crime = item(DirectoryKind::CertificateMustNotIssue, 5, "无犯罪记录证明");
        no_crime.refusal_guidance = Some("由公安机关依申请出具".into());
        Fixture {
            may: vec![item(
                DirectoryKind::CertificateMayIssue,
                1,
                "居民在社区居住证明",
            )],
            must_not: vec![
                item(DirectoryKind::CertificateMustNotIssue, 1, "亲属关系证明"),
                no_crime,
            ],
        }
    }

    fn lists(&self, allow_consulted: bool) -> Lists<'_> {
        fn eff(kind: DirectoryKind, items: &[DirectoryItem]) -> Vec<EffectiveItem<'_>> {
            items.iter().map(|i| refined(kind, i, None)).collect()
        }
        Lists {
            may_issue: eff(DirectoryKind::CertificateMayIssue, &self.may),
            may_issue_version: Some(1),
            must_not: eff(DirectoryKind::CertificateMustNotIssue, &self.must_not),
            must_not_version: Some(2),
            allow_consulted,
        }
    }
}

fn code(raw: &str) -> Requested {
    let kind = if raw.starts_with("KC") {
        DirectoryKind::CertificateMayIssue
    } else {
        DirectoryKind::CertificateMustNotIssue
    };
    Requested::Item(ItemCode::parse(kind, raw).unwrap())
}

fn consultation() -> Consultation {
    Consultation {
        held_on: day("2026-11-30"),
        participants: "居民代表 7 人".into(),
        summary: "同意出具".into(),
        director: "李主任".into(),
    }
}

#[test]
fn the_lists_decide_what_a_village_may_certify() {
    let f = Fixture::new();
    let lists = f.lists(false);
    let d = decide(&lists, &code("KC-001"), None).unwrap();
    assert_eq!((d.listing, d.version), (Listing::MayIssue, Some(1)));
    assert!(d.message.contains("第 1 版") && d.guidance.is_empty());

    let d = decide(&lists, &code("BC-005"), None).unwrap();
    assert_eq!(d.listing, Listing::MustNotIssue);
    assert_eq!(d.guidance, "由公安机关依申请出具");
    assert!(
        d.message
            .contains("不应出具证明事项清单（第 2 版，编号 BC-005）")
    );
    // Without guidance of its own, the item still tells where to go.
    let d = decide(&lists, &code("BC-001"), None).unwrap();
    assert!(d.guidance.contains("告知承诺"), "{}", d.guidance);

    let e = decide(&lists, &code("KC-009"), None).unwrap_err();
    assert!(e.to_string().contains("KC-009"));
}

#[test]
fn an_unlisted_type_needs_the_regions_rule_and_a_complete_consultation() {
    let f = Fixture::new();
    let d = decide(
        &f.lists(false),
        &Requested::Unlisted("独生子女证明".into()),
        Some(&consultation()),
    )
    .unwrap();
    assert_eq!(d.listing, Listing::NotListed);
    assert!(d.message.contains("不允许出具清单外"));

    let allowing = f.lists(true);
    let d = decide(&allowing, &Requested::Unlisted("独生子女证明".into()), None).unwrap();
    assert_eq!(d.listing, Listing::NotListed);
    assert!(d.message.contains("须经居民协商"));

    let d = decide(
        &allowing,
        &Requested::Unlisted("独生子女证明".into()),
        Some(&consultation()),
    )
    .unwrap();
    assert_eq!(d.listing, Listing::Consulted);
    assert!(d.listing.issues() && d.message.contains("李主任"));

    let mut half = consultation();
    half.director = " ".into();
    assert!(
        decide(
            &allowing,
            &Requested::Unlisted("独生子女证明".into()),
            Some(&half)
        )
        .is_err()
    );
    assert!(decide(&allowing, &Requested::Unlisted(" ".into()), None).is_err());
}

#[test]
fn renaming_a_must_not_type_does_not_get_it_out() {
    let f = Fixture::new();
    for name in ["无犯罪记录", "无犯罪记录证明 ", "（无犯罪记录）证明"] {
        let d = decide(
            &f.lists(true),
            &Requested::Unlisted(name.into()),
            Some(&consultation()),
        )
        .unwrap();
        assert_eq!(d.listing, Listing::MustNotIssue, "{name}");
    }
    let e = decide(
        &f.lists(true),
        &Requested::Unlisted("居民在社区居住".into()),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("KC-001"));
}

#[test]
fn the_must_not_list_wins_over_the_may_issue_list() {
    let mut f = Fixture::new();
    f.may
        .push(item(DirectoryKind::CertificateMayIssue, 2, "亲属关系证明"));
    let d = decide(
        &f.lists(false),
        &Requested::Unlisted("亲属关系证明".into()),
        None,
    )
    .unwrap();
    assert_eq!(d.listing, Listing::MustNotIssue);
}

#[test]
fn templates_name_their_problems_and_fill_their_placeholders() {
    check_template(DEFAULT_TEMPLATE).unwrap();
    let e = |t: &str| check_template(t).unwrap_err().to_string();
    assert!(e("兹证明{姓名}").contains("{姓名} 无法识别"));
    assert!(e("兹证明{申请人").contains("没有对应"));
    assert!(e("兹证明申请人}").contains("多余"));
    assert!(e("  ").contains("不能为空"));

    let text = render_template(
        DEFAULT_TEMPLATE,
        &TemplateValues {
            applicant: "张三".into(),
            id_number: "120101199001011239".into(),
            details: "现居住在本社区幸福里3号楼。".into(),
            purpose: "办理入学".into(),
            demanding_agency: "和平区某小学".into(),
            issuer: "某社区居委会".into(),
            issued_on: Some(day("2026-12-01")),
            cert_no: "120101001001-2026-000001".into(),
        },
    );
    assert_eq!(
        text,
        "兹证明张三（公民身份号码：120101199001011239）现居住在本社区幸福里3号楼。\n\n因办理入学需要，应和平区某小学要求，特此证明。"
    );
    assert_eq!(chinese_date(day("2026-01-05")), "2026年1月5日");
    // One pass: a value that looks like a placeholder stays as typed; unknown ones stay too.
    let sly = TemplateValues {
        applicant: "{事由}".into(),
        purpose: "入学".into(),
        id_number: ID_PLACEHOLDER.into(),
        ..Default::default()
    };
    assert_eq!(
        render_template("{申请人}/{事由}/{身份证号}/{未知}/{", &sly),
        "{事由}/入学/{身份证号}/{未知}/{"
    );
    assert_eq!(
        with_identity("号码：{身份证号}", "120101199001011239"),
        "号码：120101199001011239"
    );
}

#[test]
fn typed_fields_are_trimmed_bounded_and_brace_free() {
    assert_eq!(check_field("事由", " 入学 ", 10, true).unwrap(), "入学");
    assert!(
        check_field("事由", " ", 10, true)
            .unwrap_err()
            .to_string()
            .contains("请填写事由")
    );
    assert_eq!(check_field("证明内容", "", 10, false).unwrap(), "");
    assert!(
        check_field("事由", "一二三四五六", 5, true)
            .unwrap_err()
            .to_string()
            .contains("不能超过 5 个字")
    );
    assert!(
        check_field("申请人", "张{三}", 10, true)
            .unwrap_err()
            .to_string()
            .contains("花括号")
    );
}

fn content() -> Content {
    Content {
        cert_no: CertNo::parse("120101001001-2026-000001").unwrap(),
        type_code: "KC-001".into(),
        type_name: "居民在社区居住证明".into(),
        listing: Listing::MayIssue,
        issuer_code: RegionCode::parse("120101001001").unwrap(),
        issuer_name: "某社区居委会".into(),
        issued_on: day("2026-12-01"),
        applicant_name: "张三".into(),
        id_digest: "ab".into(),
        purpose: "入学".into(),
        demanding_agency: "某小学".into(),
        body: "第一行\n第二行".into(),
        supersedes: None,
    }
}

#[test]
fn the_canonical_text_cannot_be_forged_by_line_breaks_in_a_field() {
    let honest = content();
    let text = String::from_utf8(canonical(&honest)).unwrap();
    assert!(text.starts_with("jianfu-certificate/1\ncert_no=120101001001-2026-000001\n"));
    assert!(text.contains("body=第一行\\n第二行\n"));
    // A purpose that smuggles a field in stays one field.
    let mut sly = content();
    sly.purpose = "入学\ndemanding_agency=某小学".into();
    sly.demanding_agency = String::new();
    assert_ne!(canonical(&sly), canonical(&honest));
    assert_eq!(
        String::from_utf8(canonical(&sly)).unwrap().lines().count(),
        text.lines().count()
    );
    let mut changed = content();
    changed.applicant_name = "张四".into();
    assert_ne!(canonical(&changed), canonical(&honest));
}

#[test]
fn the_verifier_says_plainly_what_is_wrong() {
    let v = verify(None, false, false);
    assert!(!v.authentic && v.summary.contains("查无此证明"));
    let v = verify(Some((Status::Valid, Listing::MayIssue)), false, true);
    assert!(!v.authentic && v.summary.contains("伪造或篡改"));
    let v = verify(Some((Status::Valid, Listing::MayIssue)), true, true);
    assert!(v.authentic && v.current && v.allowed);
    let v = verify(Some((Status::Revoked, Listing::MayIssue)), true, true);
    assert!(v.authentic && !v.current && v.summary.contains("撤销"));
    let v = verify(Some((Status::Superseded, Listing::MayIssue)), true, true);
    assert!(!v.current && v.summary.contains("替代"));
    let v = verify(Some((Status::Valid, Listing::Consulted)), true, false);
    assert!(v.current && !v.allowed && v.summary.contains("居民协商"));
    let v = verify(Some((Status::Valid, Listing::MayIssue)), true, false);
    assert!(!v.allowed && v.summary.contains("不在可出具"));
}

#[test]
fn revocations_need_a_reason() {
    assert!(
        check_reason(" ", "撤销")
            .unwrap_err()
            .to_string()
            .contains("撤销原因")
    );
    assert_eq!(check_reason(" 信息有误 ", "撤销").unwrap(), "信息有误");
}
