//! Search latency over ~2,000 synthetic directory items, for the benchmark report.
//!
//! `cargo run --release -p jianfu-text --example search_timing`
//! Prints the index build time and p50/p99/max latency of `DirectoryIndex::search`.

use std::time::{Duration, Instant};

use jianfu_domain::catalog::{DirectoryKind, ItemCode};
use jianfu_text::{DirectoryIndex, SearchDoc};

const ITEMS: usize = 2_000;
const ROUNDS: usize = 200;

const ACTIONS: [&str; 6] = [
    "协助开展",
    "协助做好",
    "配合",
    "组织开展",
    "负责",
    "协助落实",
];
const TOPICS: [&str; 40] = [
    "征兵",
    "最低生活保障",
    "特困人员救助供养",
    "城乡居民养老保险",
    "医疗保险参保",
    "人口普查",
    "经济普查",
    "残疾人帮扶",
    "退役军人服务",
    "森林防灭火",
    "防汛抗旱",
    "安全生产检查",
    "食品安全宣传",
    "禁毒宣传",
    "反诈骗宣传",
    "矛盾纠纷调解",
    "社区矫正",
    "流动人口登记",
    "出租房屋管理",
    "垃圾分类",
    "爱国卫生运动",
    "疫苗接种",
    "计划生育服务",
    "老年人关爱",
    "未成年人保护",
    "妇女儿童权益保障",
    "就业援助",
    "技能培训",
    "农村土地承包",
    "宅基地管理",
    "农田水利",
    "乡村振兴",
    "文明实践",
    "全民健身",
    "志愿服务",
    "消防安全",
    "燃气安全",
    "居住证办理",
    "居民在社区居住证明",
    "亲属关系证明",
];
const OBJECTS: [&str; 8] = [
    "工作",
    "宣传",
    "登记",
    "调查",
    "排查",
    "申请受理",
    "信息采集",
    "日常管理",
];
const DEPARTMENTS: [&str; 8] = [
    "区民政局",
    "区人力资源和社会保障局",
    "区人民武装部",
    "区统计局",
    "区应急管理局",
    "区卫生健康委",
    "区司法局",
    "区农业农村委",
];
const SENTENCES: [&str; 8] = [
    "协助宣传相关政策，引导群众依法办理。",
    "配合街道（乡镇）开展入户走访，及时报告发现的问题。",
    "做好台账登记，按要求报送有关信息，不得另设报表。",
    "部门提供工作经费和业务培训，落实费随事转。",
    "对群众反映的困难及时记录并转交责任部门。",
    "村（社区）不承担执法、审批等法定职责以外的事项。",
    "申请人可通过部门信息共享或个人承诺方式办理。",
    "工作完成后由责任部门组织考核，不得重复检查。",
];

fn main() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let kinds = [
        DirectoryKind::Duty,
        DirectoryKind::Assistance,
        DirectoryKind::PublicService,
        DirectoryKind::CertificateMayIssue,
        DirectoryKind::CertificateMustNotIssue,
        DirectoryKind::ProhibitedTask,
    ];
    let docs: Vec<SearchDoc> = (0..ITEMS)
        .map(|i| {
            let kind = kinds[i % kinds.len()];
            let body: String = (0..4).map(|_| SENTENCES[next(SENTENCES.len())]).collect();
            SearchDoc {
                kind,
                code: ItemCode::numbered(kind, (i / kinds.len() + 1) as u32),
                name: format!(
                    "{}{}{}",
                    ACTIONS[next(ACTIONS.len())],
                    TOPICS[next(TOPICS.len())],
                    OBJECTS[next(OBJECTS.len())]
                ),
                category: TOPICS[next(TOPICS.len())].to_owned(),
                basis: "《中华人民共和国城市居民委员会组织法》《中华人民共和国村民委员会组织法》"
                    .to_owned(),
                department: DEPARTMENTS[next(DEPARTMENTS.len())].to_owned(),
                body,
            }
        })
        .collect();

    let started = Instant::now();
    jianfu_text::tokens("加载词典");
    println!("jieba dictionary loaded in {:?}", started.elapsed());
    let started = Instant::now();
    let index = DirectoryIndex::build(docs).expect("index builds");
    println!(
        "index of {} items built in {:?}",
        index.len(),
        started.elapsed()
    );

    let queries = [
        "征兵",
        "低保",
        "居住证明",
        "亲属关系",
        "KC-001",
        "xz-120",
        "养老保险参保登记",
        "协助开展入户调查",
        "垃圾分类宣传",
        "犬",
        "费随事转",
        "不得重复检查",
        "社区矫正人员的日常管理和信息采集由哪个部门负责",
        ")(*&^",
    ];
    let mut samples: Vec<Duration> = Vec::with_capacity(ROUNDS * queries.len());
    let mut by_query: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); queries.len()];
    let mut hits = 0;
    for _ in 0..ROUNDS {
        for (i, query) in queries.iter().enumerate() {
            let started = Instant::now();
            hits += index.search(query, None, 20).len();
            let took = started.elapsed();
            samples.push(took);
            by_query[i].push(took);
        }
    }
    let median = |durations: &mut Vec<Duration>| {
        durations.sort();
        durations[durations.len() / 2]
    };
    for (query, durations) in queries.iter().zip(&mut by_query) {
        println!("  p50 {:>12?}  {query}", median(durations));
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{} searches ({} queries × {ROUNDS}, limit 20, {hits} hits): p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        queries.len(),
        at(0.50),
        at(0.99),
        samples[samples.len() - 1]
    );
}
