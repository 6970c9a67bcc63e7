use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use DirectoryKind::{Assistance, CertificateMayIssue, CertificateMustNotIssue, Duty};

// The two real lists in data/directories (names, basis and departments as published; the
// refusal guidance and service guides are written for the test).
const NOT_ISSUE_BASIS: &str = "《不应由基层群众性自治组织出具证明事项清单（第一批）》，民政部等六部门《关于改进和规范基层群众性自治组织出具证明工作的指导意见》民发〔2020〕20号（2020-04）";
const NOT_ISSUE_DEPARTMENT: &str =
    "民政部、国家发展改革委、公安部、司法部、人力资源社会保障部、国家卫生健康委（联合发文）";
const NOT_ISSUE: [&str; 20] = [
    "亲属关系证明",
    "居民身份信息证明",
    "户口登记项目内容变更申请证明",
    "居民养犬证明",
    "无犯罪记录证明",
    "社区戒毒社区康复人员情况证明（表现证明）",
    "人员失踪证明",
    "婚姻状况证明",
    "出生证明",
    "健在证明",
    "死亡证明",
    "疾病状况证明",
    "残疾状况证明",
    "婚育状况证明",
    "居民就业状况证明",
    "居民个人档案证明",
    "居民财产证明",
    "遗产继承权证明",
    "市场主体住所证明",
    "证件遗失证明",
];
const MAY_ISSUE_BASIS: &str = "天津市民政局、市委组织部《关于进一步开展社区减负工作依法厘清居民委员会职责提升为民服务效能的意见》（2019-09）“居民委员会日常可出具的证明”；同文件另列75项原则上取消和禁入的证明（如学历证明、工作经历证明、户籍情况证明、亲属关系证明，全表未取得）";
const MAY_ISSUE_DEPARTMENT: &str = "天津市民政局、中共天津市委组织部";
const MAY_ISSUE: [&str; 5] = [
    "居民在社区居住证明",
    "为居民出具参与社区治理及参加社区活动情况证明",
    "为中小学生参加社区实践活动出具证明",
    "为诉讼中申请缓交、减交、免交诉讼费及司法救助的当事人出具生活困难证明",
    "根据居民需要开具居委会职责范围内依法依规应出具的其他证明",
];

// (kind, name, category, department, body); written for the test in the directories' style.
const WORK: [(DirectoryKind, &str, &str, &str, &str); 12] = [
    (
        Assistance,
        "协助做好征兵工作",
        "国防动员",
        "区人民武装部",
        "协助开展兵役登记和征兵宣传，动员适龄青年依法应征，配合做好应征青年家庭走访。",
    ),
    (
        Assistance,
        "协助开展最低生活保障（低保）对象的申请受理和入户调查",
        "社会救助",
        "区民政局",
        "协助受理困难群众的申请，配合街道（乡镇）开展入户调查、民主评议和结果公示，及时报告家庭情况变化。",
    ),
    (
        Assistance,
        "协助做好特困人员救助供养相关工作",
        "社会救助",
        "区民政局",
        "协助特困人员提出申请，配合开展生活自理能力评估，做好分散供养人员的日常探访。",
    ),
    (
        Assistance,
        "协助开展城乡居民基本养老保险参保登记",
        "社会保障",
        "区人力资源和社会保障局",
        "宣传参保政策，协助居民办理参保登记和待遇领取资格认证。",
    ),
    (
        Assistance,
        "协助做好城乡居民基本医疗保险参保缴费宣传",
        "社会保障",
        "区医疗保障局",
        "协助宣传医保政策，提醒居民按时缴费，不代收代缴费用。",
    ),
    (
        Assistance,
        "协助开展人口普查、经济普查等国家统计调查",
        "统计调查",
        "区统计局",
        "协助普查员入户登记，配合核查普查对象，保护调查对象信息。",
    ),
    (
        Assistance,
        "协助做好退役军人服务保障工作",
        "退役军人",
        "区退役军人事务局",
        "协助建立退役军人信息档案，走访慰问优抚对象，配合做好征兵宣传中的典型宣讲。",
    ),
    (
        Assistance,
        "协助开展森林草原防灭火宣传和巡查",
        "应急管理",
        "区应急管理局",
        "在防火期组织村民巡查山林，发现火情立即报告。",
    ),
    (
        Duty,
        "召集村（居）民会议、村（居）民代表会议，讨论决定涉及群众切身利益的事项",
        "基层民主",
        "区民政局",
        "依法召集会议，按程序讨论决定，会议记录存档备查。",
    ),
    (
        Duty,
        "调解民间纠纷，协助维护社会治安",
        "平安建设",
        "区司法局",
        "设立人民调解委员会，及时化解邻里、婚姻家庭等矛盾纠纷。",
    ),
    (
        Duty,
        "开展村（居）务公开，接受群众监督",
        "基层民主",
        "区民政局",
        "按期公开财务、事务和服务事项，设立公开栏并保留公开记录。",
    ),
    (
        Duty,
        "组织开展爱国卫生运动和环境卫生整治",
        "人居环境",
        "区卫生健康委",
        "组织居民清理卫生死角，开展病媒生物防制。",
    ),
];

fn fixture() -> Vec<SearchDoc> {
    let mut docs = Vec::new();
    let mut numbers: std::collections::HashMap<DirectoryKind, u32> = Default::default();
    let mut push =
        |kind, name: &str, category: &str, basis: &str, department: &str, body: String| {
            let n = numbers.entry(kind).or_default();
            *n += 1;
            docs.push(SearchDoc {
                kind,
                code: ItemCode::numbered(kind, *n),
                name: name.to_owned(),
                category: category.to_owned(),
                basis: basis.to_owned(),
                department: department.to_owned(),
                body,
            });
        };
    for name in NOT_ISSUE {
        let body = format!(
            "村（社区）不出具{name}。请申请人通过部门信息共享、有效证件或个人承诺办理，仍需证明的，由负有核查职责的部门依法核查。"
        );
        push(
            CertificateMustNotIssue,
            name,
            "证明事项",
            NOT_ISSUE_BASIS,
            NOT_ISSUE_DEPARTMENT,
            body,
        );
    }
    for name in MAY_ISSUE {
        let body = "申请人持居民身份证到居委会提出申请，工作人员核实后当场出具；不能当场核实的，五个工作日内答复。".to_owned();
        push(
            CertificateMayIssue,
            name,
            "证明事项",
            MAY_ISSUE_BASIS,
            MAY_ISSUE_DEPARTMENT,
            body,
        );
    }
    for (kind, name, category, department, body) in WORK {
        push(
            kind,
            name,
            category,
            "《中华人民共和国城市居民委员会组织法》《中华人民共和国村民委员会组织法》",
            department,
            body.to_owned(),
        );
    }
    docs
}

static INDEX: LazyLock<DirectoryIndex> =
    LazyLock::new(|| DirectoryIndex::build(fixture()).expect("fixture indexes"));

/// The codes found for `query`, best first.
fn codes(query: &str, kind: Option<DirectoryKind>) -> Vec<String> {
    INDEX
        .search(query, kind, 10)
        .into_iter()
        .map(|hit| hit.code.to_string())
        .collect()
}

fn first(query: &str) -> Option<String> {
    codes(query, None).into_iter().next()
}

fn code_of(name: &str) -> String {
    let doc = fixture()
        .into_iter()
        .find(|d| d.name == name)
        .expect("name in fixture");
    doc.code.to_string()
}

#[test]
fn fixture_is_what_the_tests_assume() {
    assert_eq!(INDEX.len(), 37);
    assert_eq!(code_of("居民在社区居住证明"), "KC-001");
    assert_eq!(code_of("亲属关系证明"), "BC-001");
    assert_eq!(code_of("协助做好征兵工作"), "XZ-001");
}

#[test]
fn a_query_cut_differently_from_the_item_still_finds_it() {
    // The item is cut 居民/在/社区/居住/证明; the query's words are matched as words and as
    // character pairs, so it must lead however jieba cuts the query.
    assert_eq!(first("居住证明").as_deref(), Some("KC-001"));
    assert_eq!(first("社区居住").as_deref(), Some("KC-001"));
    // jieba (with its HMM for unknown words) makes 养犬证 one word, which no item contains; the
    // item says 居民/养犬/证明. Only the character pairs 养犬, 犬证 connect them.
    assert!(
        !tokens("养犬证").contains(&"养犬".to_owned()),
        "{:?}",
        tokens("养犬证")
    );
    assert_eq!(first("养犬证"), Some(code_of("居民养犬证明")));
}

#[test]
fn golden_queries_rank_the_expected_item_first() {
    assert_eq!(first("征兵"), Some(code_of("协助做好征兵工作")));
    assert_eq!(
        first("低保"),
        Some(code_of(
            "协助开展最低生活保障（低保）对象的申请受理和入户调查"
        ))
    );
    assert_eq!(first("最低生活保障"), first("低保"));
    assert_eq!(first("亲属关系"), Some(code_of("亲属关系证明")));
    assert_eq!(first("无犯罪记录"), Some(code_of("无犯罪记录证明")));
    assert_eq!(first("养犬"), Some(code_of("居民养犬证明")));
    assert_eq!(
        first("人口普查"),
        Some(code_of("协助开展人口普查、经济普查等国家统计调查"))
    );
    assert_eq!(
        first("防火"),
        Some(code_of("协助开展森林草原防灭火宣传和巡查"))
    );
    assert_eq!(
        first("调解纠纷"),
        Some(code_of("调解民间纠纷，协助维护社会治安"))
    );
}

#[test]
fn a_single_character_finds_the_words_containing_it() {
    // 养犬 is one jieba word; the character n-grams still reach it.
    assert_eq!(first("犬"), Some(code_of("居民养犬证明")));
}

#[test]
fn a_name_match_outranks_a_body_match() {
    // 退役军人 mentions 征兵宣传 in its body only.
    let found = codes("征兵", None);
    let conscription = code_of("协助做好征兵工作");
    let veterans = code_of("协助做好退役军人服务保障工作");
    let at = |code: &String| found.iter().position(|c| c == code);
    assert_eq!(at(&conscription), Some(0), "{found:?}");
    assert!(
        at(&veterans).is_some(),
        "the body match is found too: {found:?}"
    );

    // The may-issue list's basis names 亲属关系证明 five times over; the item named so wins.
    let found = INDEX.search("亲属关系证明", None, 10);
    assert_eq!(found[0].code.as_str(), "BC-001");
    assert!(found[0].score > found[1].score * 1.5, "{found:?}");
}

#[test]
fn the_name_weighs_more_than_a_body_repeating_the_word() {
    let doc = |n, name: &str, body: &str| SearchDoc {
        kind: Assistance,
        code: ItemCode::numbered(Assistance, n),
        name: name.to_owned(),
        category: String::new(),
        basis: String::new(),
        department: String::new(),
        body: body.to_owned(),
    };
    let index = DirectoryIndex::build([
        doc(
            1,
            "协助开展国防教育",
            "配合征兵宣传、征兵体检、征兵政审，组织国防教育活动。",
        ),
        doc(2, "协助做好征兵工作", "动员适龄青年依法履行兵役义务。"),
    ])
    .unwrap();
    let found = index.search("征兵", None, 10);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].code.as_str(), "XZ-002", "{found:?}");
    assert!(found[0].score > 2.0 * found[1].score, "{found:?}");
}

#[test]
fn a_typed_code_finds_that_item_first() {
    for typed in [
        "KC-001",
        "kc-001",
        "ＫＣ－００１",
        "KC001",
        "kc 1",
        " KC—001 ",
        "KC-001 证件遗失",
    ] {
        assert_eq!(first(typed).as_deref(), Some("KC-001"), "{typed}");
    }
    assert_eq!(first("bc-020").as_deref(), Some("BC-020"));
    assert_eq!(
        first("XZ-007"),
        Some(code_of("协助做好退役军人服务保障工作"))
    );
    let hit = &INDEX.search("KC-001", None, 1)[0];
    assert!(hit.score >= CODE_MATCH_SCORE);
    // A code of a directory that is filtered out is not found.
    assert!(!codes("KC-001", Some(Duty)).contains(&"KC-001".to_owned()));
}

#[test]
fn codes_are_read_only_where_they_stand_alone() {
    assert_eq!(query_codes("kc-001"), ["KC-001"]);
    assert_eq!(query_codes("见bc12号"), ["BC-012"]);
    assert_eq!(query_codes("xz_0123 lz.5"), ["XZ-0123", "LZ-005"]);
    assert!(query_codes("abc-001").is_empty());
    assert!(query_codes("kc-00012").is_empty());
    assert!(query_codes("kc-001a").is_empty());
    assert!(query_codes("qq-001").is_empty());
    assert!(query_codes("kc-").is_empty());
}

#[test]
fn the_kind_filter_keeps_to_one_directory() {
    let found = INDEX.search("证明", Some(CertificateMayIssue), 50);
    assert_eq!(found.len(), 5);
    assert!(found.iter().all(|h| h.kind == CertificateMayIssue));
    assert!(codes("征兵", Some(Duty)).is_empty());
    assert_eq!(codes("征兵", Some(Assistance))[0], "XZ-001");
}

#[test]
fn blank_and_punctuation_only_queries_find_nothing() {
    for query in [
        "",
        "   ",
        "\u{3000}",
        ")(*&^",
        "\"",
        "'",
        "「」，。！？",
        "\\",
        "*",
        "AND OR NOT",
        "+-",
    ] {
        let found = INDEX.search(query, None, 10);
        // AND/OR/NOT are plain words here, not operators, and no item contains them.
        assert!(found.is_empty(), "{query:?} found {found:?}");
    }
}

#[test]
fn query_syntax_is_just_text() {
    for query in [
        "name:征兵",
        "\"征兵",
        "征兵~2",
        "征兵^10",
        "(征兵 OR 低保)",
        "征兵 -低保",
        "[征兵 TO 低保]",
        "征兵*",
    ] {
        let found = codes(query, None);
        assert_eq!(
            found.first().map(String::as_str),
            Some("XZ-001"),
            "{query}: {found:?}"
        );
    }
}

#[test]
fn limit_is_respected() {
    assert!(INDEX.search("证明", None, 0).is_empty());
    assert_eq!(INDEX.search("证明", None, 3).len(), 3);
    assert_eq!(INDEX.search("证明", None, 1_000).len(), 25);
    let scores: Vec<f32> = INDEX
        .search("证明", None, 1_000)
        .iter()
        .map(|h| h.score)
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn the_snippet_shows_the_body_around_the_match() {
    let hit = &INDEX.search("入户调查", None, 1)[0];
    assert_eq!(hit.code.as_str(), "XZ-002");
    let snippet = hit.snippet.as_deref().expect("the body says 入户调查");
    assert!(snippet.contains("入户调查"), "{snippet}");
    assert!(snippet.starts_with('…'), "{snippet}");
    // A match in the name only gives no snippet.
    let hit = &INDEX.search("森林草原", None, 1)[0];
    assert_eq!(hit.snippet, None);
}

#[test]
fn tokens_are_normalised() {
    assert_eq!(tokens("ＫＣ－００１"), tokens("kc-001"));
    assert_eq!(tokens("ＡＢＣ"), ["abc"]);
    assert_eq!(tokens("居住证明"), ["居住", "证明"]);
    assert_eq!(tokens("亲属关系"), ["亲属", "关系", "亲属关系"]);
    assert_eq!(tokens("（低保）！"), ["低保"]);
    assert!(tokens("，。 ！").is_empty());
}

#[test]
fn the_index_is_shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<DirectoryIndex>();
    std::thread::scope(|scope| {
        let workers: Vec<_> = ["征兵", "低保", "居住证明", "KC-002"]
            .into_iter()
            .map(|q| scope.spawn(move || first(q)))
            .collect();
        let firsts: HashSet<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
        assert_eq!(firsts.len(), 4);
    });
}

#[test]
fn a_pasted_paragraph_is_a_query_too() {
    let paragraph = "请问我家的狗需要办理养犬证明吗？".repeat(500);
    let found = INDEX.search(&paragraph, None, 3);
    assert_eq!(
        found.first().map(|h| h.code.to_string()),
        Some(code_of("居民养犬证明"))
    );
}

#[test]
fn an_empty_index_finds_nothing() {
    let empty = DirectoryIndex::build(Vec::new()).unwrap();
    assert!(empty.is_empty());
    assert!(empty.search("征兵", None, 10).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_text_is_a_query(query in "\\PC{0,40}|[征兵低保证明居住（）()*&^\"' \\-:~]{0,20}") {
        let found = INDEX.search(&query, None, 5);
        prop_assert!(found.len() <= 5);
        let _ = tokens(&query);
    }

    #[test]
    fn normalising_keeps_one_char_for_one(text in "\\PC{0,60}") {
        prop_assert_eq!(normalize(&text).chars().count(), text.chars().count());
        prop_assert_eq!(normalize(&normalize(&text)), normalize(&text));
    }
}

/// The ranking as tantivy's boolean query gives it over the same index: every query word in
/// the five word fields, every n-gram in the two n-gram fields, each a boosted term query, and
/// a typed code at a constant score. The table `search` adds up must rank exactly this way.
fn tantivy_ranking(
    index: &DirectoryIndex,
    query: &str,
    kind: Option<DirectoryKind>,
) -> Vec<(String, f32)> {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};

    let Some(terms) = QueryTerms::read(query) else {
        return Vec::new();
    };
    let f = index.fields;
    let term = |field: Field, text: &str, boost: f32| -> (Occur, Box<dyn Query>) {
        let query = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        (
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        )
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for word in &terms.words {
        clauses.push(term(f.name, word, NAME_BOOST));
        clauses.push(term(f.category, word, CATEGORY_BOOST));
        clauses.push(term(f.department, word, DEPARTMENT_BOOST));
        clauses.push(term(f.body, word, BODY_BOOST));
        clauses.push(term(f.basis, word, BASIS_BOOST));
    }
    for gram in &terms.ngrams {
        clauses.push(term(f.name_ngrams, gram, NAME_NGRAM_BOOST));
        clauses.push(term(f.body_ngrams, gram, BODY_NGRAM_BOOST));
    }
    for code in &terms.codes {
        let exact = TermQuery::new(
            Term::from_field_text(f.code, code),
            IndexRecordOption::Basic,
        );
        clauses.push((
            Occur::Should,
            Box::new(ConstScoreQuery::new(Box::new(exact), CODE_MATCH_SCORE)),
        ));
    }
    let text = BooleanQuery::new(clauses);
    let query: Box<dyn Query> = match kind {
        None => Box::new(text),
        Some(kind) => {
            let only = TermQuery::new(
                Term::from_field_text(f.kind, kind.as_str()),
                IndexRecordOption::Basic,
            );
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(text)),
                (
                    Occur::Must,
                    Box::new(ConstScoreQuery::new(Box::new(only), 0.0)),
                ),
            ]))
        }
    };
    let found = index
        .searcher
        .search(&query, &TopDocs::with_limit(10_000).order_by_score())
        .unwrap();
    found
        .into_iter()
        .map(|(score, address)| {
            let segment = index.searcher.segment_reader(address.segment_ord);
            let ord = segment
                .fast_fields()
                .u64("ord")
                .unwrap()
                .first(address.doc_id)
                .unwrap();
            (index.entries[ord as usize].code.to_string(), score)
        })
        .collect()
}

/// The two rankings agree: the same items, scores equal up to float rounding (the sums are
/// added in another order), so the same order wherever two scores are not within rounding.
fn assert_ranks_as_tantivy(index: &DirectoryIndex, query: &str, kind: Option<DirectoryKind>) {
    let ours: Vec<(String, f32)> = index
        .search(query, kind, 10_000)
        .into_iter()
        .map(|h| (h.code.to_string(), h.score))
        .collect();
    let theirs = tantivy_ranking(index, query, kind);
    let by_code = |v: &[(String, f32)]| -> std::collections::BTreeMap<String, f32> {
        v.iter().cloned().collect()
    };
    let (a, b) = (by_code(&ours), by_code(&theirs));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{query:?}"
    );
    for (code, score) in &a {
        let expected = b[code];
        assert!(
            (score - expected).abs() <= 1e-4 * expected.abs().max(1.0),
            "{query:?} {code}: {score} vs tantivy {expected}"
        );
    }
    // Items whose scores are within rounding of each other may come in either order (tantivy
    // breaks ties by document address); any two further apart must be in the same order.
    let place: std::collections::BTreeMap<&str, usize> = theirs
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (code.as_str(), i))
        .collect();
    for (i, (higher, high)) in ours.iter().enumerate() {
        for (lower, low) in &ours[i + 1..] {
            if high - low > 1e-3 {
                assert!(
                    place[higher.as_str()] < place[lower.as_str()],
                    "{query:?}: {higher} before {lower} in {ours:?} but not in {theirs:?}"
                );
            }
        }
    }
}

#[test]
fn the_golden_queries_rank_as_tantivys_boolean_query() {
    for query in [
        "征兵",
        "低保入户调查",
        "居住证明",
        "KC-001 居住",
        "协助开展森林草原防灭火宣传和巡查，发现火情立即报告",
        "犬",
        "关于做好2026年度城乡居民基本医疗保险参保缴费宣传工作的通知：请各村（社区）协助宣传医保政策",
    ] {
        assert_ranks_as_tantivy(&INDEX, query, None);
        assert_ranks_as_tantivy(&INDEX, query, Some(Assistance));
    }
}

/// Found by the property below: two items tie, and tantivy lists them the other way round.
#[test]
fn tied_items_may_come_in_either_order() {
    let docs = fixture();
    let mut query = String::new();
    for (doc, start, len) in [(4usize, 10usize, 8usize), (21, 1, 2)] {
        let source: Vec<char> = format!("{}{}", docs[doc].name, docs[doc].body)
            .chars()
            .collect();
        let start = start % source.len();
        query.extend(source[start..(start + len).min(source.len())].iter());
    }
    assert_ranks_as_tantivy(&INDEX, &query, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text, cut from the items' own words or not, ranks as tantivy ranks it.
    #[test]
    fn any_query_ranks_as_tantivys_boolean_query(
        picks in proptest::collection::vec((0usize..37, 0usize..40, 1usize..12), 1..6),
        noise in "\\PC{0,12}",
    ) {
        let docs = fixture();
        let mut query = noise;
        for (doc, start, len) in picks {
            let d = &docs[doc % docs.len()];
            let source: Vec<char> = format!("{}{}", d.name, d.body).chars().collect();
            let start = start % source.len();
            query.extend(source[start..(start + len).min(source.len())].iter());
        }
        assert_ranks_as_tantivy(&INDEX, &query, None);
    }
}

#[test]
fn rank_is_search_without_snippets() {
    for query in ["征兵", "居住证明", "KC-001", "入户调查", "！！"] {
        let ranked: Vec<(String, f32)> = INDEX
            .rank(query, None, 10)
            .into_iter()
            .map(|r| (r.code.to_string(), r.score))
            .collect();
        let searched: Vec<(String, f32)> = INDEX
            .search(query, None, 10)
            .into_iter()
            .map(|h| (h.code.to_string(), h.score))
            .collect();
        assert_eq!(ranked, searched, "{query}");
    }
}
