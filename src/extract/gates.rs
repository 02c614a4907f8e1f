//! Word gates: whether a file can hold anything an extractor finds, judged from its path and
//! a substring search for words every match contains. A file without them is skipped
//! without running a query; the search costs a fraction of a query pass. Each extractor's
//! registry row names its gate.

use super::routes;
use crate::lang::Lang;

pub fn components(_: Lang, _: &str, text: &[u8]) -> bool {
    static WORDS: Words = Words::new(&["<", "createElement"]);
    WORDS.any_in(text)
}

pub fn hooks(_: Lang, _: &str, text: &[u8]) -> bool {
    static WORDS: Words = Words::new(&["use"]);
    WORDS.any_in(text)
}

pub fn schemas(lang: Lang, _: &str, text: &[u8]) -> bool {
    static ZOD: Words = Words::rare(&[
        "z.", "zod", ".extend(", ".merge(", "mongoose", "joi", "yup", "valibot",
    ]);
    static PYTHON: Words = Words::rare(&[
        "BaseModel",
        // pydantic's settings models (v1 `pydantic.BaseSettings`, `pydantic_settings`).
        "BaseSettings",
        "dataclass",
        "TypedDict",
        "attr",
        "Model",
        "define",
        "frozen",
        // SQLAlchemy's declarative models.
        "__tablename__",
    ]);
    if lang.is_js_like() {
        ZOD.any_in(text)
    } else {
        PYTHON.any_in(text)
    }
}

pub fn routes(lang: Lang, path: &str, text: &[u8]) -> bool {
    // Every Python route names a path literal, a `route` decorator or Django's
    // `urlpatterns`; method words such as `.get(` are in nearly every file.
    static PYTHON: Words = Words::new(&[
        "route",
        "Route",
        "urlpatterns",
        "path(",
        "\"/",
        "'/",
        "(\"\")",
        "('')",
    ]);
    if !lang.is_js_like() {
        return PYTHON.any_in(text);
    }
    // Next.js route handlers are known by their path, not their text; otherwise the Rust
    // layer needs a member call named after a method with a literal path (`.get('/users'`),
    // or a `.route(` call.
    routes::is_next_route_file(path) || routes_gate(text)
}

/// A file can hold a path constant or a mount only if it writes a string starting with `/`
/// or mounts something.
pub fn mounts(_: Lang, _: &str, text: &[u8]) -> bool {
    const MOUNTS: &[&str] = &[
        "\"/",
        "'/",
        "`/",
        "include_router",
        "register_blueprint",
        ".use(",
        ".mount(",
        ".route(",
        "urlpatterns",
        "ROOT_URLCONF",
    ];
    static WORDS: Words = Words::joined_rare(&[MOUNTS, MAKER_WORDS, SERVED_WORDS]);
    WORDS.any_in(text)
}

/// Words of files that make an app or router, perhaps in a factory whose routes name no
/// literal path on the call's line (`@router.post(\n    "/x"`, `@router.get("")`,
/// `app.all("*")`). Written as made, not as imported: `Router` alone is in every
/// react-router file.
pub(super) const MAKER_WORDS: &[&str] = &[
    "APIRouter(",
    "Blueprint(",
    "FastAPI(",
    "Flask(",
    "Starlette(",
    "Quart(",
    "express()",
    "express.Router(",
    "= Router(",
    "new Router(",
    "new Hono(",
    "new Koa(",
    "astify(",
];

/// Words of files that may serve a factory's app as it is (`mounts::served_call`,
/// `served_export`).
pub(super) const SERVED_WORDS: &[&str] = &[
    ".listen(",
    "createServer(",
    ".serve(",
    "@hono/node-server",
    "hono/vercel",
    "hono/aws-lambda",
    "serverless",
    "supertest",
    "testClient",
    // `export default createApp()`, `export default { fetch: app.fetch }`.
    "App()",
    "app.fetch",
];

pub fn tests(lang: Lang, _: &str, text: &[u8]) -> bool {
    static PYTHON: Words = Words::new(&["test", "Test"]);
    if lang.is_js_like() {
        calls_test_function(text) || TEST_RUNNERS.any_in(text)
    } else {
        PYTHON.any_in(text)
    }
}

/// Words every import match contains: a query pass over a file runs only around them
/// (`export { a } from "x"` has `from` but no `import`; `importlib.import_module` and
/// `__import__` contain `import`).
pub fn import_words(lang: Lang) -> Option<&'static [&'static str]> {
    if lang.is_js_like() {
        Some(&["import", "require", "from"])
    } else {
        Some(&["import"])
    }
}

/// Whether a JS/TS file may declare a route: `.route(`, or a method call whose path is a
/// string literal starting with `/` or `*` (`app.get("/users", …)`, `app.get(["/a", "/b"],
/// …)`, `router.get("user", "/users/:id", …)`); `map.get(key)` is not one, and it is in
/// most files.
pub(super) fn routes_gate(text: &[u8]) -> bool {
    static ROUTE: Words = Words::new(&[".route("]);
    if super::routes::CLIENT_WORDS.any_in(text) {
        return true;
    }
    static METHODS: Words = Words::new(&[
        ".get(",
        ".post(",
        ".put(",
        ".patch(",
        ".delete(",
        ".del(",
        ".head(",
        ".options(",
        ".all(",
    ]);
    if ROUTE.any_in(text) {
        return true;
    }
    METHODS.any_occurrence(text, |method, at| {
        route_arguments(&text[at + method.len()..])
    })
}

/// Whether the text after `.get(` may open a route's arguments: a literal path (a string
/// or a regular expression), an array starting with one, or koa-router's name (a string or
/// plain name) followed by one.
fn route_arguments(rest: &[u8]) -> bool {
    let rest = rest.trim_ascii_start();
    if path_literal(rest) {
        return true;
    }
    let name_end = match rest.first() {
        Some(b'[') => return path_literal(rest[1..].trim_ascii_start()),
        Some(&quote @ (b'\'' | b'"' | b'`')) => rest[1..]
            .iter()
            .position(|&b| b == quote || b == b'\n')
            .filter(|&end| rest[1 + end] == quote)
            .map(|end| end + 2),
        Some(b) if b.is_ascii_alphabetic() || matches!(b, b'_' | b'$') => rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'.'))),
        _ => None,
    };
    let Some(after) = name_end.map(|end| rest[end..].trim_ascii_start()) else {
        return false;
    };
    after.first() == Some(&b',') && path_literal(after[1..].trim_ascii_start())
}

/// A string literal starting with `/` or `*`, or a regular expression literal (a `/` that
/// opens no comment).
fn path_literal(text: &[u8]) -> bool {
    match text.first() {
        Some(b'\'' | b'"' | b'`') => matches!(text.get(1), Some(b'/' | b'*')),
        Some(b'/') => !matches!(text.get(1), Some(b'/' | b'*') | None),
        _ => false,
    }
}

/// A list of words to search files for, with its searchers built on first use: building
/// one costs more than a search through a typical file.
///
/// A `memmem` pass over the text per word, except where several words share a byte that
/// few bytes of code are: a `(` (calls, most of what gates look for), a `/` (paths, package
/// names) or a `_` (Python names). Such words are found in one pass over that byte's
/// occurrences, each compared with the words in which it follows the byte before it. Every
/// occurrence of a word has that byte somewhere, so the two ways find the same
/// occurrences (the tests hold them to it).
pub struct Words {
    lists: WordLists,
    /// Most files lack every word: searched for in one pass ([`Plain`]).
    rare: bool,
    searchers: std::sync::OnceLock<Searchers>,
}

enum WordLists {
    One(&'static [&'static str]),
    Many(&'static [&'static [&'static str]]),
}

struct Searchers {
    /// Words searched for in one pass over the text, not at a byte of theirs.
    plain: Plain,
    /// Words found at their first byte of one kind, in a pass over that byte.
    passes: Vec<Pass>,
}

/// The words searched for across the whole text, not at a byte of theirs: by a `memmem`
/// pass per word, in order, the first occurrence ending the search; or, for a list whose
/// words most files lack ([`Words::rare`]), first by one Aho-Corasick pass for them all,
/// whose vectorised (Teddy) prefilter skips the text between candidates: on the 978-file
/// sample the schema and mount gates cost a third less that way, and the test and route
/// gates, whose first word is usually found early, more.
enum Plain {
    Each(Vec<memchr::memmem::Finder<'static>>),
    Together {
        /// Whether any word occurs: a leftmost-first automaton (the kind the packed
        /// prefilter serves) finds a match exactly where some word occurs.
        any: aho_corasick::AhoCorasick,
        /// Every occurrence, word by word: an automaton that reports overlapping matches
        /// has no such prefilter, and cost several times as much.
        each: Vec<memchr::memmem::Finder<'static>>,
    },
}

impl Plain {
    fn new(words: &[&'static str], together: bool) -> Plain {
        let each = words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
        if !together || words.len() < 2 {
            return Plain::Each(each);
        }
        let any = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(words)
            .expect("a few short words make an automaton");
        Plain::Together { any, each }
    }

    fn any_in(&self, text: &[u8]) -> bool {
        match self {
            Plain::Each(each) => each.iter().any(|finder| finder.find(text).is_some()),
            Plain::Together { any, .. } => any.is_match(text),
        }
    }

    fn any_occurrence(&self, text: &[u8], accept: &mut impl FnMut(&[u8], usize) -> bool) -> bool {
        let (Plain::Each(each) | Plain::Together { each, .. }) = self;
        each.iter()
            .any(|finder| finder.find_iter(text).any(|at| accept(finder.needle(), at)))
    }
}

/// The words found at one byte: by the byte before it in the word (256: the words that
/// start with it), with its offset in the word.
struct Pass {
    byte: u8,
    words: Vec<Vec<(usize, &'static [u8])>>,
}

/// The bytes a pass may look for, in order of preference, and how many words need one for
/// a pass to cost less than a `memmem` pass per word.
const PASS_BYTES: [u8; 3] = [b'(', b'/', b'_'];
const PASS_WORDS: usize = 3;

impl Words {
    pub const fn new(words: &'static [&'static str]) -> Words {
        Words {
            lists: WordLists::One(words),
            rare: false,
            searchers: std::sync::OnceLock::new(),
        }
    }

    /// Words most files have none of ([`Plain`]).
    pub const fn rare(words: &'static [&'static str]) -> Words {
        Words {
            lists: WordLists::One(words),
            rare: true,
            searchers: std::sync::OnceLock::new(),
        }
    }

    /// The words of several lists, searched for together (a gate that takes any of them).
    pub const fn joined(lists: &'static [&'static [&'static str]]) -> Words {
        Words {
            lists: WordLists::Many(lists),
            rare: false,
            searchers: std::sync::OnceLock::new(),
        }
    }

    /// [`Words::joined`] of words most files have none of ([`Plain`]).
    pub const fn joined_rare(lists: &'static [&'static [&'static str]]) -> Words {
        Words {
            lists: WordLists::Many(lists),
            rare: true,
            searchers: std::sync::OnceLock::new(),
        }
    }

    fn words(&self) -> Vec<&'static str> {
        match self.lists {
            WordLists::One(words) => words.to_vec(),
            WordLists::Many(lists) => lists.concat(),
        }
    }

    pub fn any_in(&self, text: &[u8]) -> bool {
        self.searchers().plain.any_in(text) || self.any_at_passes(text, &mut |_, _| true)
    }

    /// Whether `accept` takes any occurrence of any of the words: given the word and where
    /// it starts in `text`.
    pub fn any_occurrence(
        &self,
        text: &[u8],
        mut accept: impl FnMut(&[u8], usize) -> bool,
    ) -> bool {
        self.searchers().plain.any_occurrence(text, &mut accept)
            || self.any_at_passes(text, &mut accept)
    }

    /// [`Words::any_occurrence`] of the words found at a byte of theirs.
    fn any_at_passes(&self, text: &[u8], accept: &mut impl FnMut(&[u8], usize) -> bool) -> bool {
        for pass in &self.searchers().passes {
            let starting = &pass.words[256];
            for found in memchr::memchr_iter(pass.byte, text) {
                let after = match found.checked_sub(1) {
                    Some(before) => &pass.words[usize::from(text[before])][..],
                    None => &[],
                };
                // Two plain loops: a chain of the two lists was inlined or not from one
                // build to the next, moving the gates' cost by 8%.
                for list in [starting, after] {
                    for &(offset, word) in list {
                        if let Some(at) = found.checked_sub(offset)
                            && text.get(at..at + word.len()) == Some(word)
                            && accept(word, at)
                        {
                            return true;
                        }
                    }
                }
            }
        }
        false
    }

    fn searchers(&self) -> &Searchers {
        self.searchers.get_or_init(|| {
            let mut left = self.words();
            let mut passes = Vec::new();
            for byte in PASS_BYTES {
                let (taken, rest): (Vec<&str>, Vec<&str>) =
                    left.into_iter().partition(|w| w.as_bytes().contains(&byte));
                left = rest;
                if taken.len() < PASS_WORDS {
                    left.extend(taken);
                    continue;
                }
                let mut words = vec![Vec::new(); 257];
                for word in taken {
                    let bytes = word.as_bytes();
                    let offset = bytes.iter().position(|&b| b == byte).unwrap_or(0);
                    let bucket = offset.checked_sub(1).map_or(256, |b| usize::from(bytes[b]));
                    words[bucket].push((offset, bytes));
                }
                passes.push(Pass { byte, words });
            }
            Searchers {
                plain: Plain::new(&left, self.rare),
                passes,
            }
        })
    }
}

/// The functions a JS test file calls to declare suites and tests.
#[cfg(test)]
static TEST_FUNCTIONS: Words = Words::new(super::tests::TEST_NAMES);

/// The test functions' names that are not another's with an `f` or `x` in front (`fit`,
/// `xdescribe`): every call of one of those holds one of these (a unit test keeps the list
/// in step with `TEST_NAMES`).
static TEST_BASES: Words = Words::new(&["describe", "it", "test", "suite", "context", "specify"]);

/// [`calls_any`] of the test functions, searching for the names without their `f` / `x`
/// variants, half as many passes over the file: an occurrence of a base name preceded by
/// such a letter is the variant's when `TEST_NAMES` has it.
fn calls_test_function(text: &[u8]) -> bool {
    TEST_BASES.any_occurrence(text, |name, at| {
        if !matches!(text.get(at + name.len()), Some(b'(' | b'.')) {
            return false;
        }
        let Some(before) = at.checked_sub(1) else {
            return true;
        };
        if !is_word(text[before]) {
            return true;
        }
        let prefix = text[before];
        (before == 0 || !is_word(text[before - 1]))
            && super::tests::TEST_NAMES
                .iter()
                .any(|variant| variant.as_bytes().split_first() == Some((&prefix, name)))
    })
}

/// Test runners, whose import lets a file call test functions under other names
/// (`import { test as setup } from "@playwright/test"`).
static TEST_RUNNERS: Words = Words::new(&[
    "@playwright/test",
    "playwright/test",
    "vitest",
    "@jest/globals",
    "node:test",
    "mocha",
]);

/// A byte that continues a name or a member chain: a test function's name must not follow
/// one (`.test(` on a regular expression, `edit(`).
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.'
}

/// Whether `text` calls one of `names` as a free function: the name starts a word (not
/// `.test(` on a regular expression) and is followed by `(` or `.` (`it.each(...)`). What
/// [`calls_test_function`] must answer for the test functions.
#[cfg(test)]
fn calls_any(text: &[u8], names: &Words) -> bool {
    names.any_occurrence(text, |name, at| {
        let before_ok = at == 0 || !is_word(text[at - 1]);
        let after = text.get(at + name.len()).copied();
        before_ok && matches!(after, Some(b'(' | b'.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` texts of fewer than `pieces` pieces each, drawn from `fragments` by a xorshift
    /// generator started at `seed`: the same texts on every run.
    fn random_texts(fragments: &[&[u8]], mut seed: u64, count: usize, pieces: u64) -> Vec<Vec<u8>> {
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..count)
            .map(|_| {
                let len = next() % pieces;
                (0..len)
                    .flat_map(|_| {
                        fragments[(next() % fragments.len() as u64) as usize]
                            .iter()
                            .copied()
                    })
                    .collect()
            })
            .collect()
    }

    /// Every test function's name is a base name or one with an `f` / `x` in front, and
    /// every base name is a test function's.
    #[test]
    fn test_bases_cover_the_test_names() {
        let bases: Vec<&str> = TEST_BASES.words();
        for name in super::super::tests::TEST_NAMES {
            let variant = name
                .strip_prefix(['f', 'x'])
                .is_some_and(|base| bases.contains(&base));
            assert!(
                bases.contains(name) || variant,
                "{name} is neither a base nor a variant"
            );
        }
        for base in &bases {
            assert!(super::super::tests::TEST_NAMES.contains(base), "{base}");
        }
    }

    /// Searching for the base names finds the test calls a search for every name finds:
    /// in random texts of the names' pieces and in every fixture.
    #[test]
    fn test_calls_are_found_as_a_search_for_every_name_finds_them() {
        let fragments: [&[u8]; 14] = [
            b"it",
            b"x",
            b"f",
            b"describe",
            b"test",
            b"(",
            b".",
            b" ",
            b"e",
            b"context",
            b"suite",
            b"specify",
            b"\n",
            b"$",
        ];
        let mut calls = 0;
        for text in random_texts(&fragments, 0x2545_f491_4f6c_dd1d, 20_000, 12) {
            let expected = calls_any(&text, &TEST_FUNCTIONS);
            assert_eq!(
                calls_test_function(&text),
                expected,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            calls += usize::from(expected);
        }
        assert!(calls > 2_000, "only {calls} texts call a test function");
        let files = crate::extract::for_each_fixture(|path, _, text, _| {
            assert_eq!(
                calls_test_function(text),
                calls_any(text, &TEST_FUNCTIONS),
                "{path}"
            );
        });
        assert!(files > 50);
    }

    #[test]
    fn words_are_found_where_a_search_for_each_finds_them() {
        // Enough words with a `(` for the pass over parentheses (one with two, one starting
        // with it, overlapping ones), words without, and a list too short for that pass.
        static LISTS: [Words; 3] = [
            Words::joined(&[
                &["(''", "a(", "ba(", ".use(", "x()", "(\"/", "plain", "f(g("],
                &["z(", "/'", "'/", "a/b", "/"],
            ]),
            Words::new(&["a(", "plain", "(''"]),
            // The same searched for together.
            Words::rare(&["a(", "plain", "(''"]),
        ];
        let fragments: [&[u8]; 16] = [
            b"(",
            b"'",
            b"a",
            b"b",
            b".use",
            b"x",
            b")",
            b"\"",
            b"/",
            b"plain",
            b"f",
            b"g",
            b"z",
            b" ",
            b"\n",
            b"\xc3\xa9",
        ];
        let mut found_any = 0;
        for (round, text) in random_texts(&fragments, 0x9e37_79b9_7f4a_7c15, 3000, 40)
            .into_iter()
            .enumerate()
        {
            let words = &LISTS[round % 3];
            let mut expected = std::collections::BTreeSet::new();
            for word in words.words() {
                let word = word.as_bytes();
                for at in 0..=text.len().saturating_sub(word.len()) {
                    if text.len() >= word.len() && text[at..].starts_with(word) {
                        expected.insert((word.to_vec(), at));
                    }
                }
            }
            let mut found = std::collections::BTreeSet::new();
            let accepted = words.any_occurrence(&text, |word, at| {
                assert!(found.insert((word.to_vec(), at)), "found twice: {at}");
                false
            });
            assert!(!accepted);
            assert_eq!(found, expected, "{:?}", String::from_utf8_lossy(&text));
            assert_eq!(words.any_in(&text), !expected.is_empty());
            found_any += usize::from(!expected.is_empty());
        }
        assert!(found_any > 1000, "only {found_any} texts held a word");
        assert_eq!(LISTS[0].searchers().passes.len(), 2, "passes over ( and /");
        assert!(LISTS[1].searchers().passes.is_empty());
        assert!(matches!(LISTS[1].searchers().plain, Plain::Each(_)));
        assert!(matches!(LISTS[2].searchers().plain, Plain::Together { .. }));
    }

    #[test]
    fn route_gate_reads_paths_arrays_and_named_routes() {
        for yes in [
            "app.get('/users', list)",
            "app.get( \"*\", h)",
            "router.get(['/', '/page/:page'], explore)",
            "router.get([ `/a`], h)",
            "router.get('user', '/users/:id', show)",
            "router.get(DETAIL, '/items/:id', show)",
            "router.get(names.detail , \"/x\", show)",
            "router.get(/^\\/files\\/(.*)$/, serve)",
            "router.get('files', /^\\/files/, serve)",
            "router.get([/^\\/a/, '/b'], h)",
        ] {
            assert!(routes_gate(yes.as_bytes()), "{yes}");
        }
        for no in [
            "map.get(key)",
            "cache.get('key', fallback)",
            "map.get([a, b])",
            "cache.get('a\n', '/b')",
            "settings.get(name, other)",
            "app.get('title')",
            "cache.get(/* key */ name)",
            "cache.get(// key\n name)",
        ] {
            assert!(!routes_gate(no.as_bytes()), "{no}");
        }
    }
}
