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
    static ZOD: Words = Words::new(&[
        "z.", "zod", ".extend(", ".merge(", "mongoose", "joi", "yup", "valibot",
    ]);
    static PYTHON: Words = Words::new(&[
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
    static WORDS: Words = Words::new(&[
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
    ]);
    WORDS.any_in(text) || MAKERS.any_in(text) || SERVED.any_in(text)
}

/// Words of files that make an app or router, perhaps in a factory whose routes name no
/// literal path on the call's line (`@router.post(\n    "/x"`, `@router.get("")`,
/// `app.all("*")`). Written as made, not as imported: `Router` alone is in every
/// react-router file.
pub(super) static MAKERS: Words = Words::new(&[
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
]);

/// Words of files that may serve a factory's app as it is (`mounts::served_call`,
/// `served_export`).
pub(super) static SERVED: Words = Words::new(&[
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
]);

pub fn tests(lang: Lang, _: &str, text: &[u8]) -> bool {
    static PYTHON: Words = Words::new(&["test", "Test"]);
    if lang.is_js_like() {
        calls_any(text, &TEST_FUNCTIONS) || TEST_RUNNERS.any_in(text)
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
    if ROUTE.finders()[0].find(text).is_some() {
        return true;
    }
    METHODS.finders().iter().any(|method| {
        method
            .find_iter(text)
            .any(|at| route_arguments(&text[at + method.needle().len()..]))
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

/// A list of words to search files for, with its `memmem` searchers built on first use:
/// building one costs more than a search through a typical file.
pub struct Words {
    words: &'static [&'static str],
    finders: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>>,
}

impl Words {
    pub const fn new(words: &'static [&'static str]) -> Words {
        Words {
            words,
            finders: std::sync::OnceLock::new(),
        }
    }

    pub fn any_in(&self, text: &[u8]) -> bool {
        self.finders().iter().any(|f| f.find(text).is_some())
    }

    fn finders(&self) -> &[memchr::memmem::Finder<'static>] {
        self.finders.get_or_init(|| {
            self.words
                .iter()
                .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
                .collect()
        })
    }
}

/// The functions a JS test file calls to declare suites and tests.
static TEST_FUNCTIONS: Words = Words::new(super::tests::TEST_NAMES);

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

/// Whether `text` calls one of `names` as a free function: the name starts a word (not
/// `.test(` on a regular expression) and is followed by `(` or `.` (`it.each(...)`).
fn calls_any(text: &[u8], names: &Words) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.';
    names.finders().iter().any(|name| {
        name.find_iter(text).any(|at| {
            let before_ok = at == 0 || !is_word(text[at - 1]);
            let after = text.get(at + name.needle().len()).copied();
            before_ok && matches!(after, Some(b'(' | b'.'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
