//! The smallest typst world that typesets one document: a template, its JSON data, the fonts
//! embedded in this crate and a fixed date. Nothing is read from disk or the network.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};

/// Subsets of Noto CJK SC made by `fonts/subset.sh`: the body face and the heading face.
const FONT_FILES: [&[u8]; 2] = [
    include_bytes!("../fonts/NotoSerifCJKsc-Regular.subset.otf"),
    include_bytes!("../fonts/NotoSansCJKsc-Bold.subset.otf"),
];

/// Parsing the fonts and building the library take longer than typesetting a short
/// document, so they are done once per process.
static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

/// The path the templates read their data from: `json("/data.json")`.
const DATA_PATH: &str = "/data.json";

fn project_file(path: &str) -> FileId {
    let vpath = VirtualPath::new(path).expect("a constant absolute path");
    RootedPath::new(VirtualRoot::Project, vpath).intern()
}

pub(crate) struct PrintWorld {
    main: Source,
    data_id: FileId,
    data: Bytes,
    today: Datetime,
}

impl PrintWorld {
    /// A world whose main file is `template` (named `name` in diagnostics), reading `data` as
    /// `/data.json`, where `datetime.today()` is `today`.
    pub(crate) fn new(name: &str, template: &str, data: Vec<u8>, today: NaiveDate) -> Self {
        let main = Source::new(project_file(&format!("/{name}")), template.to_owned());
        // Dates from chrono are always in typst's range; day and month fit in u8.
        let today = Datetime::from_ymd(today.year(), today.month() as u8, today.day() as u8)
            .expect("a valid calendar date");
        PrintWorld {
            main,
            data_id: project_file(DATA_PATH),
            data: Bytes::new(data),
            today,
        }
    }

    /// Diagnostics as one line each, with the template line where typst points at one.
    pub(crate) fn describe(&self, diagnostics: &[SourceDiagnostic]) -> String {
        diagnostics
            .iter()
            .map(|d| {
                let mut line = d.message.to_string();
                let at = self.range(d.span).and_then(|range| {
                    (d.span.id() == Some(self.main.id()))
                        .then(|| self.main.lines().byte_to_line(range.start))
                        .flatten()
                });
                if let Some(n) = at {
                    line.push_str(&format!("（模板第 {} 行）", n + 1));
                }
                for hint in &d.hints {
                    line.push_str(&format!("；提示：{}", hint.v));
                }
                line
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl World for PrintWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(not_found(id))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.data_id {
            Ok(self.data.clone())
        } else if id == self.main.id() {
            Ok(Bytes::from_string(self.main.clone()))
        } else {
            Err(not_found(id))
        }
    }

    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }

    /// The caller's date, not the clock's: the same input gives the same document.
    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        Some(self.today)
    }
}

fn not_found(id: FileId) -> FileError {
    FileError::NotFound(id.vpath().get_with_slash().into())
}
