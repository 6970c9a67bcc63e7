#!/usr/bin/env bash
# Re-makes the fonts embedded in jianfu-print from Debian's fonts-noto-cjk:
#   NotoSerifCJKsc-Regular.subset.otf  body text (宋体-like)
#   NotoSansCJKsc-Bold.subset.otf      headings (黑体-like)
# Each keeps ASCII, Latin-1, general and CJK punctuation, full-width forms, every GB2312
# character and every character of the shipped data (data/ and shared/data/, gzip files
# included), of the print templates and of the domain's labels.
#
# Needs: apt-get install fonts-noto-cjk; pip install fonttools.
# Usage: crates/print/fonts/subset.sh [SHARED_DATA_DIR]   (default: ../shared/data beside the repo)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
shared="${1:-$repo/../shared/data}"
noto=/usr/share/fonts/opentype/noto
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for dir in "$repo/data" "$shared"; do
  [ -d "$dir" ] || { echo "missing data folder: $dir" >&2; exit 1; }
done

# The characters beyond the fixed ranges: all of GB2312 and whatever the shipped text uses.
python3 - "$work/chars.txt" "$repo/data" "$shared" "$repo/crates/print/templates" \
  "$repo/crates/domain/src" <<'PY'
import gzip, pathlib, sys

out, *roots = sys.argv[1:]
chars = set()
for hi in range(0xA1, 0xF8):
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for root in roots:
    for path in sorted(pathlib.Path(root).rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        chars |= set(raw.decode("utf-8"))
chars = {c for c in chars if c.isprintable() and not c.isspace()}
pathlib.Path(out).write_text("".join(sorted(chars)), encoding="utf-8")
print(f"{len(chars)} characters from GB2312 and the shipped text")
PY

# Face 2 of each Noto CJK collection is the Simplified Chinese one; check rather than trust.
check_face() {
  python3 -c 'import sys; from fontTools.ttLib import TTFont
name = TTFont(sys.argv[1], fontNumber=int(sys.argv[2]))["name"].getDebugName(4)
assert name == sys.argv[3], f"face {sys.argv[2]} of {sys.argv[1]} is {name}"' "$@"
}

# Only the Simplified Chinese (ZHS) and default language systems: the collection's locl
# lookups for Japanese, Korean and traditional forms would otherwise keep some 6,000 glyphs
# that zh-CN text never shows (it nearly halves the files).
scripts="DFLT.dflt"
for script in cyrl grek hang hani kana latn; do
  scripts="$scripts,$script.dflt,$script.ZHS"
done

subset() {
  local collection="$1" face="$2" full_name="$3" output="$4"
  check_face "$noto/$collection" "$face" "$full_name"
  pyftsubset "$noto/$collection" \
    --font-number="$face" \
    --unicodes="U+0020-007E,U+00A0-00FF,U+2000-206F,U+3000-303F,U+FF00-FFEF" \
    --text-file="$work/chars.txt" \
    --layout-scripts="$scripts" \
    --notdef-outline \
    --output-file="$here/$output"
  ls -l "$here/$output"
}

subset NotoSerifCJK-Regular.ttc 2 "Noto Serif CJK SC" NotoSerifCJKsc-Regular.subset.otf
subset NotoSansCJK-Bold.ttc 2 "Noto Sans CJK SC Bold" NotoSansCJKsc-Bold.subset.otf
