//! The administrative tree (区划): codes, levels and kinds of the National Bureau of Statistics
//! statistical division codes (统计用区划代码).
//!
//! A code has 12 digits in five segments: province (2), city (2), county (2), township (3),
//! village (3). Published lists often drop the trailing zero segments (`12`, `1201`, `120101`,
//! `120101001`); [`RegionCode::parse`] accepts both forms and always stores the 12-digit one, so
//! a code's level and its parent follow from the code alone. Cities without districts (东莞、中山、
//! 儋州、嘉峪关) put their townships directly below the city with a zero county segment
//! (`441900003000`): the only zero segment allowed before a non-zero one.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Error;

/// Segment ends within the 12 digits: province ..2, city ..4, county ..6, township ..9, village ..12.
const SEGMENT_ENDS: [usize; 5] = [2, 4, 6, 9, 12];

/// A valid 12-digit NBS statistical division code, held inline (the whole country is 660,000
/// codes, and imports keep them all in memory at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode([u8; 12]);

impl RegionCode {
    /// Accepts the 12-digit form or the short form of a level (2, 4, 6 or 9 digits); surrounding
    /// blanks are ignored. The province segment is never zero, and a zero segment may only be
    /// followed by zero segments — except the county segment of a city without districts.
    pub fn parse(raw: &str) -> Result<Self, Error> {
        let s = raw.trim();
        let invalid = || Error::InvalidRegionCode(s.to_owned());
        if !SEGMENT_ENDS.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let mut full = [b'0'; 12];
        full[..s.len()].copy_from_slice(s.as_bytes());
        let zero = segment_zeros(&full);
        let county = Level::County.depth() - 1;
        let gap = (0..4).any(|i| i != county && zero[i] && zero[i + 1..].iter().any(|z| !z));
        if zero[0] || gap {
            return Err(invalid());
        }
        Ok(RegionCode(full))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a region code is ASCII digits")
    }

    /// The level follows from the last non-zero segment.
    pub fn level(&self) -> Level {
        let zero = segment_zeros(&self.0);
        let last = zero.iter().rposition(|z| !z).unwrap_or(0);
        Level::ALL[last]
    }

    /// The structural parent: the same code with its last non-zero segment zeroed.
    pub fn parent(&self) -> Option<RegionCode> {
        let level = self.level();
        if level == Level::Province {
            return None;
        }
        let keep = SEGMENT_ENDS[level.depth() - 2];
        let mut parent = self.0;
        parent[keep..].fill(b'0');
        Some(RegionCode(parent))
    }

    /// Whether `other` is this unit or lies below it: the subtree a user's permissions cover.
    /// The code is the materialized path, so this is a prefix test on the short form.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.as_str().starts_with(self.short())
    }

    /// The county-level unit (a district of Tianjin) this code is or lies in; none above that
    /// level, or where the county segment is empty (cities without districts).
    pub fn county(&self) -> Option<RegionCode> {
        if self.level().depth() < Level::County.depth() {
            return None;
        }
        let mut county = self.0;
        county[6..].fill(b'0');
        let county = RegionCode(county);
        (county.level() == Level::County).then_some(county)
    }

    /// The province-level unit (Tianjin itself) this code lies in.
    pub fn province(&self) -> RegionCode {
        let mut province = self.0;
        province[2..].fill(b'0');
        RegionCode(province)
    }

    /// The short form used in published lists (`120101` for a county).
    pub fn short(&self) -> &str {
        &self.as_str()[..SEGMENT_ENDS[self.level().depth() - 1]]
    }
}

/// Which of the five segments of a 12-digit code are all zeros.
fn segment_zeros(full: &[u8; 12]) -> [bool; 5] {
    let mut out = [false; 5];
    let mut start = 0;
    for (i, end) in SEGMENT_ENDS.into_iter().enumerate() {
        out[i] = full[start..end].iter().all(|&b| b == b'0');
        start = end;
    }
    out
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for RegionCode {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.as_str().to_owned()
    }
}

/// The five levels of the tree, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Township,
    Village,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Township,
        Level::Village,
    ];

    /// 1 for a province … 5 for a village.
    pub fn depth(self) -> usize {
        self as usize + 1
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }

    /// Accepts the English names used in the data files and the usual Chinese words.
    pub fn parse(raw: &str) -> Option<Level> {
        Some(match raw.trim() {
            "province" | "省" | "省级" => Level::Province,
            "city" | "市" | "地级" | "地市级" => Level::City,
            "county" | "district" | "区县" | "县级" | "区县级" => Level::County,
            "township" | "乡级" | "乡镇" | "街道乡镇" | "乡镇级" => Level::Township,
            "village" | "村级" | "村居" | "村（社区）" | "村(社区)" => Level::Village,
            _ => return None,
        })
    }

    /// How the level is called on screen.
    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::City => "地级",
            Level::County => "县级",
            Level::Township => "乡级",
            Level::Village => "村级",
        }
    }

    /// What the units of this level are called in Tianjin's documents.
    pub fn units_label(self) -> &'static str {
        match self {
            Level::Province => "省（直辖市）",
            Level::City => "市（市辖区）",
            Level::County => "区（县）",
            Level::Township => "街道（乡镇）",
            Level::Village => "村（社区）",
        }
    }

    pub fn below(self) -> Option<Level> {
        Level::ALL.get(self.depth()).copied()
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of unit a region is. At village level the policy treats villages (村委会) and
/// communities (居委会) differently, so the kind is derived from the name when a unit is
/// imported; units that are neither (farm living areas, virtual communities) are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    Province,
    City,
    County,
    Subdistrict,
    Town,
    Township,
    Village,
    Community,
    Other,
}

impl RegionKind {
    pub const ALL: [RegionKind; 9] = [
        RegionKind::Province,
        RegionKind::City,
        RegionKind::County,
        RegionKind::Subdistrict,
        RegionKind::Town,
        RegionKind::Township,
        RegionKind::Village,
        RegionKind::Community,
        RegionKind::Other,
    ];

    /// The kinds that tell units of one level apart (township and village level).
    pub fn distinguishes(self) -> bool {
        !matches!(
            self,
            RegionKind::Province | RegionKind::City | RegionKind::County
        )
    }

    pub fn derive(level: Level, name: &str) -> RegionKind {
        // "白庙村农工商联合公司（村委会）": a bracketed suffix names the kind.
        let bare = name.trim();
        let tail = bare
            .strip_suffix('）')
            .or_else(|| bare.strip_suffix(')'))
            .and_then(|s| s.rsplit_once(['（', '(']))
            .map(|(_, inner)| inner);
        let ends = |suffixes: &[&str]| {
            suffixes
                .iter()
                .any(|s| bare.ends_with(s) || tail.is_some_and(|t| t.ends_with(s)))
        };
        match level {
            Level::Province => RegionKind::Province,
            Level::City => RegionKind::City,
            Level::County => RegionKind::County,
            Level::Township if ends(&["街道", "街道办事处"]) => RegionKind::Subdistrict,
            Level::Township if ends(&["镇"]) => RegionKind::Town,
            Level::Township if ends(&["乡"]) => RegionKind::Township,
            Level::Village if bare.contains("虚拟") => RegionKind::Other,
            Level::Village if ends(&["村委会", "村民委员会", "村"]) => RegionKind::Village,
            Level::Village if ends(&["居委会", "居民委员会", "社区", "街委员会"]) => {
                RegionKind::Community
            }
            Level::Township | Level::Village => RegionKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::Province => "province",
            RegionKind::City => "city",
            RegionKind::County => "county",
            RegionKind::Subdistrict => "subdistrict",
            RegionKind::Town => "town",
            RegionKind::Township => "township",
            RegionKind::Village => "village",
            RegionKind::Community => "community",
            RegionKind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<RegionKind> {
        RegionKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            RegionKind::Province => "省级单位",
            RegionKind::City => "地级单位",
            RegionKind::County => "区县",
            RegionKind::Subdistrict => "街道",
            RegionKind::Town => "镇",
            RegionKind::Township => "乡",
            RegionKind::Village => "村委会",
            RegionKind::Community => "居委会",
            RegionKind::Other => "其他",
        }
    }
}

/// One version of a unit. A rename or move closes the old version (`valid_to`) and opens a new
/// one, so records made earlier keep pointing at the unit as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: Level,
    pub kind: RegionKind,
    pub parent_code: Option<RegionCode>,
    pub children_count: u32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn the_county_of_a_unit() {
        assert_eq!(code("120101001001").county(), Some(code("120101")));
        assert_eq!(code("120101").county(), Some(code("120101")));
        assert_eq!(code("1201").county(), None);
        assert_eq!(
            code("441900003").county(),
            None,
            "Dongguan has no districts"
        );
    }

    #[test]
    fn short_and_full_forms_agree() {
        assert_eq!(code("12").as_str(), "120000000000");
        assert_eq!(code("1201"), code("120100000000"));
        assert_eq!(code(" 120101001 ").as_str(), "120101001000");
        assert_eq!(code("120101001001").short(), "120101001001");
        assert_eq!(code("120101000000").short(), "120101");
    }

    #[test]
    fn levels_and_parents() {
        let v = code("120225100201");
        assert_eq!(v.level(), Level::Village);
        let t = v.parent().unwrap();
        assert_eq!(t.as_str(), "120225100000");
        assert_eq!(t.level(), Level::Township);
        assert_eq!(t.parent().unwrap().as_str(), "120225000000");
        assert_eq!(code("1201").parent().unwrap(), code("12"));
        assert_eq!(code("12").parent(), None);
    }

    #[test]
    fn cities_without_districts_hold_townships_directly() {
        let town = code("441900003");
        assert_eq!(town.as_str(), "441900003000");
        assert_eq!(town.level(), Level::Township);
        assert_eq!(town.parent().unwrap(), code("4419"));
        assert_eq!(town.short(), "441900003");
        let village = code("441900003001");
        assert_eq!(village.level(), Level::Village);
        assert_eq!(village.parent().unwrap(), town);
        assert_eq!(code("4419").level(), Level::City);
    }

    #[test]
    fn malformed_codes_are_refused() {
        for bad in [
            "",
            "1",
            "123",
            "12010a",
            "001000000000",
            "120001001000",
            "1201010010011",
            "12 01",
        ] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn kinds_from_names() {
        use RegionKind::*;
        let k = RegionKind::derive;
        assert_eq!(k(Level::Village, "多福巷社区居委会"), Community);
        assert_eq!(k(Level::Village, "东二村村民委员会"), Village);
        assert_eq!(k(Level::Village, "小王庄村委会"), Village);
        assert_eq!(k(Level::Village, "白庙村农工商联合公司（村委会）"), Village);
        assert_eq!(k(Level::Village, "天津市蓟州区经济开发区虚拟社区"), Other);
        assert_eq!(k(Level::Village, "黄庄农场生活区"), Other);
        assert_eq!(k(Level::Village, "第一街委员会"), Community);
        assert_eq!(k(Level::Township, "劝业场街道"), Subdistrict);
        assert_eq!(k(Level::Township, "杨柳青镇"), Town);
        assert_eq!(k(Level::Township, "孙占乡"), Township);
        assert_eq!(k(Level::Township, "天津子牙经济技术开发区"), Other);
        assert_eq!(k(Level::County, "和平区"), County);
    }

    #[test]
    fn level_words() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        assert_eq!(Level::parse("街道乡镇"), Some(Level::Township));
        assert_eq!(Level::parse("省部级"), None);
    }

    #[test]
    fn subtrees() {
        let code = |s| RegionCode::parse(s).unwrap();
        let heping = code("120101");
        assert!(heping.contains(&code("120101001001")));
        assert!(heping.contains(&heping));
        assert!(
            !heping.contains(&code("120102001")),
            "a neighbouring district"
        );
        assert!(!heping.contains(&code("12")), "not upwards");
        assert!(code("12").contains(&code("120225100201")));
        // 东莞: a city without districts, its townships under a zero county segment.
        assert!(code("4419").contains(&code("441900003")));
        assert!(!code("441900003").contains(&code("441900004")));
    }

    proptest! {
        /// Any well-formed code round-trips through its short form, and walking up the
        /// parents reaches a province in exactly depth-1 steps.
        #[test]
        fn parents_walk_to_the_province(p in 1u32..100, c in 0u32..100, d in 0u32..100, t in 0u32..1000, v in 0u32..1000, depth in 1usize..=5) {
            let segs = [format!("{p:02}"), format!("{c:02}"), format!("{d:02}"), format!("{t:03}"), format!("{v:03}")];
            // Zero segments are only allowed at the end, so make the kept ones non-zero.
            let raw: String = segs[..depth].iter().map(|s| if s.bytes().all(|b| b == b'0') { format!("{}1", &s[..s.len()-1]) } else { s.clone() }).collect();
            let code = RegionCode::parse(&raw).unwrap();
            prop_assert_eq!(code.level().depth(), depth);
            prop_assert_eq!(RegionCode::parse(code.short()).unwrap(), code);
            let mut steps = 0;
            let mut cur = code;
            while let Some(parent) = cur.parent() {
                prop_assert!(code.as_str().starts_with(parent.short()));
                prop_assert!(parent.contains(&code) && !code.contains(&parent) || parent == code);
                prop_assert_eq!(parent.level().depth() + 1, cur.level().depth());
                cur = parent;
                steps += 1;
            }
            prop_assert_eq!(steps, depth - 1);
        }
    }
}
