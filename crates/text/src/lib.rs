//! Chinese search over directory items (指导目录事项检索).
//!
//! Why it looks like this:
//! - Chinese has no spaces, so words come from jieba's segmentation (its dictionary is compiled
//!   into the binary: no network, no data files at run time). Both the items and the query are cut
//!   in jieba's search mode, which also emits the dictionary sub-words of a long word, so
//!   `居住证明` (one query word) still meets `居民/在/社区/居住/证明` in an item.
//! - Segmentation disagrees with itself across contexts, so character uni-/bigrams of the name and
//!   body are indexed as a low-weight fallback: a short query finds an item whatever jieba did.
//! - Text is normalised before anything else: full-width ASCII → half-width, letters lowercased,
//!   dashes unified, one character for one character so positions stay valid for snippets.
//! - Queries are built term by term from those tokens, never through tantivy's query syntax, so
//!   whatever officials or residents type (`)(*&^`, quotes, a pasted paragraph) cannot fail.
//! - A typed item code (`kc-001`, `ＫＣ－００１`, `KC 1`) matches the code field with a constant
//!   score far above any text score, so that item comes first.
//! - The tantivy tokenizer is a few lines over jieba-rs rather than tantivy-jieba, so that the
//!   normalisation, the offsets back into the original text and the n-grams share one shape.
//! - Directories hold tens to a few thousand items, so the index lives in RAM and is rebuilt from
//!   the database by the caller (on start and after a publication); nothing is persisted.
//! - A query is a sum over its terms of per-field BM25 scores, and a term's score in an item does
//!   not depend on the query. So once tantivy has indexed the items, what every term adds to
//!   every item (tantivy's BM25 with its statistics, times the field's weight, summed over the
//!   fields the term is looked up in) is read out of its index into a table, and a query adds up
//!   table rows: the ranking tantivy's boolean query gives (the tests compare the two), without
//!   building ~300 term clauses per query. The dispatch check reads every task this way.

use std::collections::HashMap;
use std::sync::LazyLock;

use jianfu_domain::catalog::{DirectoryKind, ItemCode};
use jieba_rs::Jieba;
use tantivy::postings::Postings;
use tantivy::query::Bm25Weight;
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{DocSet, Index, IndexWriter, Searcher, TERMINATED, TantivyDocument, Term};

#[cfg(test)]
mod tests;

/// One directory item as the search sees it; the caller builds it from a `DirectoryItem`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDoc {
    pub kind: DirectoryKind,
    pub code: ItemCode,
    pub name: String,
    pub category: String,
    pub basis: String,
    pub department: String,
    /// village_role, support, guide text and refusal guidance, joined.
    pub body: String,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub kind: DirectoryKind,
    pub code: ItemCode,
    /// Relevance; comparable only between hits of the same search. An exact code match adds
    /// [`CODE_MATCH_SCORE`].
    pub score: f32,
    /// A plain-text fragment of the body around the first matched word (`…` where cut), when
    /// the body contains one. Not marked up: highlight with [`tokens`] of the query if wanted.
    pub snippet: Option<String>,
}

/// One ranked item, without a snippet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ranked<'i> {
    pub kind: DirectoryKind,
    pub code: &'i ItemCode,
    /// As [`Hit::score`].
    pub score: f32,
}

#[derive(Debug, thiserror::Error)]
pub enum TextError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Read(#[from] std::io::Error),
}

/// What an exact item-code match adds to a hit's score: more than any text match can reach.
pub const CODE_MATCH_SCORE: f32 = 10_000.0;

// Field weights: the name counts most, the legal basis (long, repeated across a whole list)
// least. The n-gram fields only rescue what segmentation missed.
const NAME_BOOST: f32 = 4.0;
const CATEGORY_BOOST: f32 = 1.5;
const DEPARTMENT_BOOST: f32 = 1.0;
const BODY_BOOST: f32 = 1.0;
const BASIS_BOOST: f32 = 0.3;
const NAME_NGRAM_BOOST: f32 = 1.0;
const BODY_NGRAM_BOOST: f32 = 0.2;

/// A pasted paragraph is cut to this many characters, and to this many distinct terms per
/// analysis, bounding the cost of one query.
const MAX_QUERY_CHARS: usize = 200;
const MAX_QUERY_TERMS: usize = 48;

const WORDS: &str = "jianfu_words";
const NGRAMS: &str = "jianfu_ngrams";
// Characters of body text shown before and after the matched word in a snippet.
const SNIPPET_BEFORE: usize = 16;
const SNIPPET_AFTER: usize = 48;

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// The words of `text` as the index sees them: normalised (full-width → half-width, lowercase),
/// cut by jieba in search mode (a long word is followed by its dictionary sub-words),
/// punctuation and spaces dropped. In text order, repeats kept.
pub fn tokens(text: &str) -> Vec<String> {
    word_tokens(text).into_iter().map(|t| t.text).collect()
}

/// Normalises one character to one character, so char positions survive.
fn normalize_char(c: char) -> char {
    let c = match c {
        // Full-width ASCII block (！ to ～) and the ideographic space.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        // Hyphens and dashes people type between a code's letters and digits.
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        c => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn normalize(text: &str) -> String {
    text.chars().map(normalize_char).collect()
}

/// Byte offset in `text` of each char, plus the end, to map char positions back.
fn char_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

fn is_word(token: &str) -> bool {
    token.chars().any(char::is_alphanumeric)
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '\u{30000}'..='\u{3134F}')
}

fn token(text: String, offsets: &[usize], start: usize, end: usize, position: usize) -> Token {
    Token {
        offset_from: offsets[start],
        offset_to: offsets[end],
        position,
        text,
        position_length: 1,
    }
}

/// jieba search-mode words, offsets into the original `text`.
fn word_tokens(text: &str) -> Vec<Token> {
    let normalized = normalize(text);
    let offsets = char_offsets(text);
    JIEBA
        .cut_for_search(&normalized, true)
        .into_iter()
        .filter(|t| is_word(t.word))
        .enumerate()
        .map(|(i, t)| token(t.word.to_owned(), &offsets, t.start, t.end, i))
        .collect()
}

/// Runs of CJK characters as (char start, chars).
fn cjk_runs(normalized: &str) -> Vec<(usize, Vec<char>)> {
    let mut runs: Vec<(usize, Vec<char>)> = Vec::new();
    let mut previous_cjk = false;
    for (i, c) in normalized.chars().enumerate() {
        let cjk = is_cjk(c);
        if cjk {
            match runs.last_mut() {
                Some((_, run)) if previous_cjk => run.push(c),
                _ => runs.push((i, vec![c])),
            }
        }
        previous_cjk = cjk;
    }
    runs
}

/// For indexing: every CJK character and every pair of neighbours.
fn ngram_tokens(text: &str) -> Vec<Token> {
    let normalized = normalize(text);
    let offsets = char_offsets(text);
    let mut out = Vec::new();
    for (start, run) in cjk_runs(&normalized) {
        for (k, c) in run.iter().enumerate() {
            let at = start + k;
            out.push(token(c.to_string(), &offsets, at, at + 1, out.len()));
            if let Some(next) = run.get(k + 1) {
                out.push(token(format!("{c}{next}"), &offsets, at, at + 2, out.len()));
            }
        }
    }
    out
}

/// For querying: the pairs of a run, or the character itself when it stands alone (so `犬`
/// finds `养犬` while `居住证明` does not match every item with a `证`).
fn query_ngrams(normalized: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (_, run) in cjk_runs(normalized) {
        if run.len() == 1 {
            out.push(run[0].to_string());
        } else {
            out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        }
    }
    out
}

/// Item codes typed in a normalised query, in the stored form: `kc-001`, `kc001`, `kc 1` →
/// `KC-001`. Only the prefixes of real directories count.
fn query_codes(normalized: &str) -> Vec<String> {
    let chars: Vec<char> = normalized.chars().collect();
    let mut codes = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let letters = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        if !starts_word || letters == 0 {
            i += 1;
            continue;
        }
        let mut k = i + letters;
        if letters == 2 {
            if matches!(chars.get(k), Some('-' | '_' | ' ' | '.')) {
                k += 1;
            }
            let digits = chars[k..].iter().take_while(|c| c.is_ascii_digit()).count();
            let end = k + digits;
            let ends_word = chars.get(end).is_none_or(|c| !c.is_ascii_alphanumeric());
            if (1..=4).contains(&digits) && ends_word {
                let prefix: String = chars[i..i + 2].iter().collect::<String>().to_uppercase();
                if DirectoryKind::ALL.iter().any(|k| k.code_prefix() == prefix) {
                    let number: String = chars[k..end].iter().collect();
                    codes.push(format!("{prefix}-{number:0>3}"));
                }
                i = end;
                continue;
            }
        }
        i += letters;
    }
    codes
}

fn distinct(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = Vec::new();
    for item in items {
        if seen.insert(item.clone()) {
            out.push(item);
            if out.len() == MAX_QUERY_TERMS {
                break;
            }
        }
    }
    out
}

/// A tantivy tokenizer over one of the analyses above.
#[derive(Clone)]
struct FnTokenizer(fn(&str) -> Vec<Token>);

struct VecTokenStream {
    tokens: Vec<Token>,
    // Index of the current token plus one; 0 before the first `advance`.
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for FnTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: (self.0)(text),
            next: 0,
        }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    kind: Field,
    code: Field,
    ord: Field,
    name: Field,
    category: Field,
    department: Field,
    basis: Field,
    body: Field,
    name_ngrams: Field,
    body_ngrams: Field,
}

impl Fields {
    fn schema() -> (Schema, Fields) {
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let mut builder = Schema::builder();
        let fields = Fields {
            kind: builder.add_text_field("kind", STRING),
            code: builder.add_text_field("code", STRING),
            ord: builder.add_u64_field("ord", NumericOptions::default().set_fast()),
            name: builder.add_text_field("name", text(WORDS)),
            category: builder.add_text_field("category", text(WORDS)),
            department: builder.add_text_field("department", text(WORDS)),
            basis: builder.add_text_field("basis", text(WORDS)),
            body: builder.add_text_field("body", text(WORDS)),
            name_ngrams: builder.add_text_field("name_ngrams", text(NGRAMS)),
            body_ngrams: builder.add_text_field("body_ngrams", text(NGRAMS)),
        };
        (builder.build(), fields)
    }
}

struct Entry {
    kind: DirectoryKind,
    code: ItemCode,
    body: String,
    /// `body` normalised: the same chars one for one, for finding query words.
    body_normalized: String,
}

/// For each term, what it adds to the score of each item holding it: (position in `entries`,
/// score), by position.
type Impacts = HashMap<String, Vec<(u32, f32)>>;

/// An in-RAM index of directory items. Immutable once built: rebuild it when the directories
/// change and swap it in (e.g. behind an `Arc`). Queries take `&self`, from any thread.
pub struct DirectoryIndex {
    entries: Vec<Entry>,
    /// Query words: their scores in the name, category, department, body and basis.
    words: Impacts,
    /// Query n-grams: their scores in the name's and the body's n-grams.
    ngrams: Impacts,
    /// Stored item code → the entries with it.
    codes: HashMap<String, Vec<u32>>,
    /// The tantivy index the scores were read from, kept in tests to rank against.
    #[cfg(test)]
    searcher: Searcher,
    #[cfg(test)]
    fields: Fields,
}

impl std::fmt::Debug for DirectoryIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryIndex")
            .field("items", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl DirectoryIndex {
    /// Indexes `docs`. The first call in a process also loads jieba's dictionary (a fraction of
    /// a second in release builds).
    pub fn build(docs: impl IntoIterator<Item = SearchDoc>) -> Result<DirectoryIndex, TextError> {
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(WORDS, FnTokenizer(word_tokens));
        index
            .tokenizers()
            .register(NGRAMS, FnTokenizer(ngram_tokens));

        // One indexing thread: a single segment, documents in order; the minimum budget per
        // thread is 15 MB and a few thousand items stay well below it.
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 30_000_000)?;
        let mut entries = Vec::new();
        let mut codes: HashMap<String, Vec<u32>> = HashMap::new();
        for doc in docs {
            let mut d = TantivyDocument::default();
            d.add_text(fields.kind, doc.kind.as_str());
            d.add_text(fields.code, doc.code.as_str());
            d.add_u64(fields.ord, entries.len() as u64);
            d.add_text(fields.name, &doc.name);
            d.add_text(fields.category, &doc.category);
            d.add_text(fields.department, &doc.department);
            d.add_text(fields.basis, &doc.basis);
            d.add_text(fields.body, &doc.body);
            d.add_text(fields.name_ngrams, &doc.name);
            d.add_text(fields.body_ngrams, &doc.body);
            writer.add_document(d)?;
            codes
                .entry(doc.code.as_str().to_owned())
                .or_default()
                .push(entries.len() as u32);
            entries.push(Entry {
                kind: doc.kind,
                code: doc.code,
                body_normalized: normalize(&doc.body),
                body: doc.body,
            });
        }
        writer.commit()?;
        writer.wait_merging_threads()?;

        let searcher = index.reader()?.searcher();
        let f = fields;
        let words = impacts(
            &searcher,
            &[
                (f.name, NAME_BOOST),
                (f.category, CATEGORY_BOOST),
                (f.department, DEPARTMENT_BOOST),
                (f.body, BODY_BOOST),
                (f.basis, BASIS_BOOST),
            ],
        )?;
        let ngrams = impacts(
            &searcher,
            &[
                (f.name_ngrams, NAME_NGRAM_BOOST),
                (f.body_ngrams, BODY_NGRAM_BOOST),
            ],
        )?;
        Ok(DirectoryIndex {
            entries,
            words,
            ngrams,
            codes,
            #[cfg(test)]
            searcher,
            #[cfg(test)]
            fields,
        })
    }

    /// How many items the index holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` items for free text `query`, best first, optionally within one
    /// directory. A blank query, or one with no words (only punctuation), finds nothing.
    pub fn search(&self, query: &str, kind: Option<DirectoryKind>, limit: usize) -> Vec<Hit> {
        let Some(terms) = QueryTerms::read(query) else {
            return Vec::new();
        };
        self.ranked(&terms, kind, limit)
            .into_iter()
            .map(|(at, score)| {
                let entry = &self.entries[at];
                Hit {
                    kind: entry.kind,
                    code: entry.code,
                    score,
                    snippet: snippet(entry, &terms.words),
                }
            })
            .collect()
    }

    /// As [`DirectoryIndex::search`], without snippets: what the text is about, for a machine
    /// (the dispatch check reads every task this way).
    pub fn rank(&self, query: &str, kind: Option<DirectoryKind>, limit: usize) -> Vec<Ranked<'_>> {
        let Some(terms) = QueryTerms::read(query) else {
            return Vec::new();
        };
        self.ranked(&terms, kind, limit)
            .into_iter()
            .map(|(at, score)| Ranked {
                kind: self.entries[at].kind,
                code: &self.entries[at].code,
                score,
            })
            .collect()
    }

    /// Positions in `entries` and scores of the best `limit` items for `terms`.
    fn ranked(
        &self,
        terms: &QueryTerms,
        kind: Option<DirectoryKind>,
        limit: usize,
    ) -> Vec<(usize, f32)> {
        // Every term's scores added up per item, as a boolean query of SHOULD clauses sums them.
        let mut scores: Vec<Option<f32>> = vec![None; self.entries.len()];
        let mut add = |at: u32, score: f32| {
            let s = &mut scores[at as usize];
            *s = Some(s.unwrap_or(0.0) + score);
        };
        for (table, terms) in [(&self.words, &terms.words), (&self.ngrams, &terms.ngrams)] {
            for term in terms {
                for &(at, score) in table.get(term).map_or(&[][..], Vec::as_slice) {
                    add(at, score);
                }
            }
        }
        for code in &terms.codes {
            for &at in self.codes.get(code).map_or(&[][..], Vec::as_slice) {
                add(at, CODE_MATCH_SCORE);
            }
        }
        let mut found: Vec<(usize, f32)> = scores
            .into_iter()
            .enumerate()
            .filter_map(|(at, s)| Some((at, s?)))
            .filter(|(at, _)| kind.is_none_or(|k| self.entries[*at].kind == k))
            .collect();
        // Best first; equal scores in index order, as tantivy orders them.
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        found.truncate(limit);
        found
    }
}

/// What a query is made of: its words, its n-grams and any item codes typed in it.
struct QueryTerms {
    words: Vec<String>,
    ngrams: Vec<String>,
    codes: Vec<String>,
}

impl QueryTerms {
    /// `None` when the query has nothing to look up.
    fn read(query: &str) -> Option<QueryTerms> {
        let normalized: String = query
            .chars()
            .take(MAX_QUERY_CHARS)
            .map(normalize_char)
            .collect();
        let terms = QueryTerms {
            words: distinct(tokens(&normalized)),
            ngrams: distinct(query_ngrams(&normalized)),
            codes: distinct(query_codes(&normalized)),
        };
        let empty = terms.words.is_empty() && terms.ngrams.is_empty() && terms.codes.is_empty();
        (!empty).then_some(terms)
    }
}

/// What each term of `fields` adds to each item: tantivy's BM25 score of the term in the
/// field (its statistics over the whole index), times the field's weight, summed over
/// `fields`. A boosted term query scores exactly this.
fn impacts(searcher: &Searcher, fields: &[(Field, f32)]) -> Result<Impacts, TextError> {
    let mut out: Impacts = HashMap::new();
    for segment in searcher.segment_readers() {
        let column = segment.fast_fields().u64("ord")?;
        let entry_of = |doc: u32| column.first(doc).unwrap_or_default() as u32;
        for &(field, boost) in fields {
            let inverted = segment.inverted_index(field)?;
            let fieldnorms = segment.get_fieldnorms_reader(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                let Ok(text) = std::str::from_utf8(terms.key()) else {
                    continue;
                };
                let bm25 = Bm25Weight::for_terms(searcher, &[Term::from_field_text(field, text)])?;
                let mut postings = inverted
                    .read_postings_from_terminfo(terms.value(), IndexRecordOption::WithFreqs)?;
                let list = out.entry(text.to_owned()).or_default();
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    let score = bm25.score(fieldnorms.fieldnorm_id(doc), postings.term_freq());
                    list.push((entry_of(doc), score * boost));
                    doc = postings.advance();
                }
            }
        }
    }
    // One row per item: a term found in several fields adds their scores.
    for list in out.values_mut() {
        list.sort_by_key(|(at, _)| *at);
        list.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += next.1;
            }
            same
        });
    }
    Ok(out)
}

/// The body around the longest query word it contains, in the body's own characters.
fn snippet(entry: &Entry, words: &[String]) -> Option<String> {
    let mut by_length: Vec<&String> = words.iter().collect();
    by_length.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    let (byte_at, word) = by_length
        .into_iter()
        .find_map(|w| Some((entry.body_normalized.find(w.as_str())?, w)))?;
    let at = entry.body_normalized[..byte_at].chars().count();
    let total = entry.body.chars().count();
    let start = at.saturating_sub(SNIPPET_BEFORE);
    let end = (at + word.chars().count() + SNIPPET_AFTER).min(total);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(entry.body.chars().skip(start).take(end - start));
    if end < total {
        out.push('…');
    }
    Some(out)
}
