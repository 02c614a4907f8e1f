//! Import resolution against real trees: tsconfig `extends` chains, nearest config wins,
//! Python projects in subdirectories.

use crate::util::Repo;

fn targets(repo: &Repo, file: &str) -> Vec<(String, Vec<String>)> {
    all_targets(repo)
        .into_iter()
        .filter(|(f, _, _)| f == file)
        .map(|(_, specifier, targets)| (specifier, targets))
        .collect()
}

#[test]
fn tsconfig_extends_and_nearest_config() {
    let repo = Repo::empty();
    repo.write(
        "tsconfig.base.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["shared/*"] } } }"#,
    );
    repo.write(
        "web/tsconfig.json",
        r#"{ "extends": "../tsconfig.base.json" }"#,
    );
    repo.write("shared/util.ts", "export const u = 1;\n");
    repo.write("shared/ui/index.tsx", "export const B = 1;\n");
    repo.write(
        "web/app.ts",
        "import { u } from '~/util';\nimport { B } from '~/ui';\nimport x from 'left-pad';\n",
    );
    repo.run(&[]).expect_code(0);
    assert_eq!(
        targets(&repo, "web/app.ts"),
        [
            ("~/util".to_string(), vec!["shared/util.ts".to_string()]),
            ("~/ui".to_string(), vec!["shared/ui/index.tsx".to_string()]),
            ("left-pad".to_string(), vec![]),
        ]
    );
    // Editing the tsconfig changes resolution: --check notices, --incremental repairs.
    repo.write(
        "tsconfig.base.json",
        r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "~/*": ["nowhere/*"] } } }"#,
    );
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains(
            "imports: files added or removed elsewhere, or a tsconfig or package.json changed",
        );
    repo.run(&["--incremental"]).expect_code(0);
    assert!(
        targets(&repo, "web/app.ts")
            .iter()
            .all(|(_, t)| t.is_empty())
    );
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn python_project_in_a_subdirectory() {
    let repo = Repo::empty();
    repo.write("backend/shop/__init__.py", "");
    repo.write("backend/shop/models.py", "class Order:\n    pass\n");
    repo.write("backend/shop/api/__init__.py", "");
    repo.write(
        "backend/shop/api/views.py",
        "from shop.models import Order\nfrom .. import models\nimport json\n",
    );
    repo.run(&[]).expect_code(0);
    assert_eq!(
        targets(&repo, "backend/shop/api/views.py"),
        [
            (
                "shop.models".to_string(),
                vec!["backend/shop/models.py".to_string()]
            ),
            (
                "..".to_string(),
                vec![
                    "backend/shop/__init__.py".to_string(),
                    "backend/shop/models.py".to_string()
                ]
            ),
            ("json".to_string(), vec![]),
        ]
    );
}

/// Every import of every chunk, in output order: (file, specifier, targets).
fn all_targets(repo: &Repo) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for (path, bytes) in crate::util::files_under(&repo.state().join("imports")) {
        assert!(path.ends_with(".json"), "{path}");
        let output: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        for i in &crate::util::items(&output) {
            let targets = crate::util::list(&i["targets"])
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
                .collect();
            out.push((
                i["file"].as_str().unwrap().to_string(),
                i["specifier"].as_str().unwrap().to_string(),
                targets,
            ));
        }
    }
    out
}

fn target_of(all: &[(String, String, Vec<String>)], file: &str, specifier: &str) -> Vec<String> {
    let found: Vec<&Vec<String>> = all
        .iter()
        .filter(|(f, s, _)| f == file && s == specifier)
        .map(|(_, _, t)| t)
        .collect();
    assert!(!found.is_empty(), "no import of {specifier} in {file}");
    // A specifier imported twice (`import` and `require`) resolves alike here.
    assert!(
        found.windows(2).all(|w| w[0] == w[1]),
        "{file} {specifier}: {found:?}"
    );
    found[0].clone()
}

/// Each (file, specifier) resolves to exactly the targets given.
fn assert_cases(all: &[(String, String, Vec<String>)], cases: &[(&str, &str, &[&str])]) {
    for (file, specifier, want) in cases {
        assert_eq!(
            target_of(all, file, specifier),
            *want,
            "{file} imports {specifier}"
        );
    }
}

#[test]
fn workspace_packages_resolve_as_typescript_does() {
    // Expectations checked once against TypeScript 5.9's `ts.resolveModuleName` with
    // `tests/conformance/tsc-resolve.mjs` (workspace members linked into node_modules,
    // packages with a tsconfig built). The answers differ on purpose where a package
    // points into its build: TypeScript names the built declaration
    // (`packages/ui/dist/index.d.ts`, `packages/decl/dist/types/index.d.ts`,
    // `packages/kit/dist/index.d.ts`) where discover
    // names the source it is built from (by the package's tsconfig), and an unbuilt
    // `lib/index.d.ts` without a tsconfig maps to `src/index.ts`, where TypeScript finds
    // nothing until the package is built.
    let repo = Repo::from_fixture("workspace");
    repo.run(&[]).expect_code(0);
    let all = all_targets(&repo);
    let app = "apps/web/src/app.tsx";
    let cases: &[(&str, &str, &[&str])] = &[
        // `exports` with conditions, from a build directory back to the source.
        (app, "@acme/ui", &["packages/ui/src/index.ts"]),
        // An exact subpath and a `*` pattern.
        (app, "@acme/ui/button", &["packages/ui/src/button.tsx"]),
        (
            app,
            "@acme/ui/icons/star",
            &["packages/ui/src/icons/star.tsx"],
        ),
        // Blocked by `null`, and not exported at all: `exports` is the whole surface.
        (app, "@acme/ui/internal/secret", &[]),
        (app, "@acme/ui/other", &[]),
        // No `exports`: `types` (a build directory by convention), a path under the
        // package, `main`.
        (app, "@acme/utils", &["packages/utils/src/index.ts"]),
        (app, "@acme/utils/src/pad", &["packages/utils/src/pad.ts"]),
        (app, "@acme/config", &["packages/config/index.js"]),
        // `exports` as a plain string.
        (app, "@acme/db", &["packages/db/src/index.ts"]),
        // tsconfig `paths` still come first, `#` names included.
        (app, "@/local", &["apps/web/src/local.ts"]),
        (app, "#/local", &["apps/web/src/local.ts"]),
        // A tsconfig extending a shared package's `compiled.json` (not named tsconfig*,
        // read all the same), whose `outDir` is `${configDir}/dist`.
        (app, "@acme/kit", &["packages/kit/src/index.ts"]),
        // `declarationDir` maps declarations back apart from the rest of the build.
        (app, "@acme/decl", &["packages/decl/src/index.ts"]),
        // Another workspace's package is not linked here; npm packages stay packages.
        (app, "@tools/cli", &[]),
        (app, "react", &[]),
        // package.json `imports`, exact and pattern; an unlisted one resolves nowhere.
        (
            "packages/db/src/index.ts",
            "#schema",
            &["packages/db/src/schema.ts"],
        ),
        (
            "packages/db/src/index.ts",
            "#lib/conn",
            &["packages/db/src/lib/conn.ts"],
        ),
        ("packages/db/src/index.ts", "#missing", &[]),
        // `nodenext`: the importing file's format picks `import` or `require`.
        (
            "apps/cjs/src/index.ts",
            "@acme/dual",
            &["packages/dual/src/dual.cts"],
        ),
        (
            "apps/esm/src/index.ts",
            "@acme/dual",
            &["packages/dual/src/dual.mts"],
        ),
        // A `require` or `import x = require()` is CommonJS, an `import()` ESM, whatever
        // the file; a `.cts` file is CommonJS under `bundler` too.
        (
            "apps/cjs/src/dyn.cts",
            "@acme/dual",
            &["packages/dual/src/dual.mts"],
        ),
        (
            "apps/esm/src/req.ts",
            "@acme/dual",
            &["packages/dual/src/dual.cts"],
        ),
        (
            "apps/web/src/legacy.cts",
            "@acme/dual",
            &["packages/dual/src/dual.cts"],
        ),
        // Where what TypeScript would do is not known — a solution-style root config, an
        // `extends` of an npm package, `customConditions` — no package is resolved; relative
        // imports still are. (TypeScript itself gives none for the first two here, and the
        // declaration of `@acme/ui` for the third.)
        ("apps/solution/src/main.ts", "@acme/ui", &[]),
        (
            "apps/solution/src/main.ts",
            "./local",
            &["apps/solution/src/local.ts"],
        ),
        ("apps/ext/src/main.ts", "@acme/ui", &[]),
        ("apps/custom/src/main.ts", "@acme/ui", &[]),
        // `node` (node10) does not read `exports`; `types` still leads to the source.
        ("apps/legacy/src/index.ts", "@acme/ui/button", &[]),
        (
            "apps/legacy/src/index.ts",
            "@acme/utils",
            &["packages/utils/src/index.ts"],
        ),
        // A pnpm workspace; `import` and `require` take their own conditions.
        (
            "tools/packages/cli/src/main.ts",
            "@tools/core",
            &["tools/packages/core/src/core.ts"],
        ),
        (
            "tools/packages/cli/src/legacy.cjs",
            "@tools/core",
            &["tools/packages/core/src/core.cjs"],
        ),
    ];
    assert_cases(&all, cases);
    // Links do not know whether a binding was imported or required: where the two
    // resolve apart, `legacy.cjs`'s re-export of `require("@tools/core")` reaches nothing.
    let legacy: Vec<serde_json::Value> = crate::util::files_under(&repo.state().join("exports"))
        .values()
        .flat_map(|b| {
            let output: serde_json::Value = serde_json::from_slice(b).unwrap();
            crate::util::items(&output)
        })
        .filter(|i| i["file"] == "tools/packages/cli/src/legacy.cjs")
        .collect();
    assert_eq!(legacy.len(), 1, "{legacy:?}");
    assert_eq!(legacy[0]["module"], "@tools/core");
    assert!(legacy[0]["id"].is_null(), "{legacy:?}");
    // The package of the same name outside the workspace globs is never a target.
    assert!(
        all.iter()
            .all(|(_, _, t)| !t.iter().any(|t| t.starts_with("examples/")))
    );
    // Calls reach definitions across packages.
    let calls = crate::util::files_under(&repo.state().join("calls"));
    let text: String = calls
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        text.contains("\"target\":\"packages/utils/src/index.ts#format\""),
        "{text}"
    );
    assert!(
        text.contains("\"target\":\"packages/ui/src/button.tsx#Button\""),
        "{text}"
    );
}

#[test]
fn editing_a_package_manifest_relinks_like_a_full_run() {
    let repo = Repo::from_fixture("workspace");
    repo.run(&[]).expect_code(0);
    // `./button` now names another file; `exports` changes, no source file does.
    repo.write(
        "packages/ui/package.json",
        r#"{ "name": "@acme/ui", "exports": { ".": "./src/index.ts", "./button": "./src/icons/star.tsx" } }"#,
    );
    repo.run(&["--check"])
        .expect_code(1)
        .expect_stdout_contains(
            "imports: files added or removed elsewhere, or a tsconfig or package.json changed",
        );
    repo.run(&["--incremental"]).expect_code(0);
    let all = all_targets(&repo);
    assert_eq!(
        target_of(&all, "apps/web/src/app.tsx", "@acme/ui/button"),
        ["packages/ui/src/icons/star.tsx"]
    );
    // The call of `Button` no longer reaches a definition: star.tsx exports only `Star`.
    let calls = crate::util::files_under(&repo.state().join("calls"));
    let text: String = calls
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        !text.contains("\"target\":\"packages/ui/src/button.tsx#Button\""),
        "{text}"
    );
    crate::util::assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    // The pnpm workspace loses its packages: @tools/core is a package from outside again.
    repo.write("tools/pnpm-workspace.yaml", "packages: []\n");
    repo.run(&["--incremental"]).expect_code(0);
    let all = all_targets(&repo);
    assert!(target_of(&all, "tools/packages/cli/src/main.ts", "@tools/core").is_empty());
    crate::util::assert_same_state(&repo.state_of_run(&[]), &repo.state_files());
    repo.run(&["--check"]).expect_code(0);
}

#[test]
fn python_resolution_matches_the_import_system() {
    // Expectations checked once against Python 3.11's own finders with
    // `tests/conformance/py-resolve.py tests/fixtures/pyresolve . src -- <files>` (sys.path
    // holding the root and `src/`, as a src layout installed for development has it).
    let repo = Repo::from_fixture("pyresolve");
    repo.run(&[]).expect_code(0);
    let all = all_targets(&repo);
    let views = "src/shop/api/views.py";
    let cases: &[(&str, &str, &[&str])] = &[
        (views, "json", &[]),
        // src layout, dotted module, relative climbs.
        (views, "shop.api.helpers", &["src/shop/api/helpers.py"]),
        (views, "shop.models", &["src/shop/models.py"]),
        (views, "..models", &["src/shop/models.py"]),
        // `from . import helpers`: the package and the submodule it names.
        (
            views,
            ".",
            &["src/shop/api/__init__.py", "src/shop/api/helpers.py"],
        ),
        (
            views,
            "shop",
            &[
                "src/shop/__init__.py",
                "src/shop/api/__init__.py",
                "src/shop/models.py",
            ],
        ),
        // A name that is not a submodule loads the package alone.
        (views, "..", &["src/shop/__init__.py"]),
        ("src/shop/__init__.py", ".models", &["src/shop/models.py"]),
        // Namespace packages (no `__init__.py`): their modules resolve, they themselves
        // are no file.
        (
            "nspkg/plugins/loader.py",
            "nspkg.plugins",
            &["nspkg/plugins/extra.py"],
        ),
        (
            "nspkg/plugins/loader.py",
            "nspkg.plugins.extra",
            &["nspkg/plugins/extra.py"],
        ),
        (
            "tests/test_views.py",
            "shop.api.views",
            &["src/shop/api/views.py"],
        ),
        (
            "tests/test_views.py",
            "nspkg.plugins",
            &["nspkg/plugins/loader.py"],
        ),
        ("scripts/run.py", "shop", &["src/shop/__init__.py"]),
        (
            "scripts/run.py",
            "tests.test_views",
            &["tests/test_views.py"],
        ),
    ];
    assert_cases(&all, cases);
    // `__all__` and the `__init__.py` re-export: `from shop import Order` reaches the class.
    let exports = crate::util::files_under(&repo.state().join("exports"));
    let text: String = exports
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        text.contains("\"id\":\"src/shop/models.py#Order\""),
        "{text}"
    );
}
